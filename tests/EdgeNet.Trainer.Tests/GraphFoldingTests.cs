using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Tests;

/// <summary>The export's graph cleanup: what folds (checked by running the blob against the model), what is refused and how.</summary>
[TestClass]
[DoNotParallelize] // seeds the process-wide Keras RNG
public sealed class GraphFoldingTests
{
    private static (BlobReader Blob, string Path) Export(Model model, int[] sample, float[] x, int batch)
    {
        string path = Path.Combine(Path.GetTempPath(), $"fold-{Guid.NewGuid():N}.enb");
        ModelExporter.ExportSamples(model, path, QuantizationOptions.F32, [new NDArray(x, [batch, .. sample])], new Dictionary<string, EnbValue>());
        return (BlobReader.Open(path), path);
    }

    private static void SameAsModel(Model model, int[] sample, int seed)
    {
        int per = sample.Aggregate(1, (a, d) => a * d);
        var x = GradientCheck.Rand(3 * per, seed);
        var expected = model.Predict(Tensor.FromArray(x, [3, .. sample])).ToArray();
        var (blob, path) = Export(model, sample, x, 3);
        try
        {
            var y = new ReferenceInterpreter(blob).Run(x, 3);
            for (int i = 0; i < y.Length; i++)
            {
                Assert.AreEqual(expected[i], y[i], 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"output {i}");
            }
        }
        finally
        {
            blob.Dispose();
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Dense_then_batch_norm_folds_and_the_blob_computes_what_the_model_does()
    {
        KerasBackend.SetRandomSeed(3);
        var model = new Sequential([new Flatten(), new Dense(7), new BatchNormalization(), new ActivationLayer("relu"), new Dense(4)]);
        model.Apply(Tensor.FromArray(GradientCheck.Rand(4 * 10, 1), 4, 10));
        var bn = model.BatchNormalizationLayers().Single();
        bn.MovingMean!.Assign(GradientCheck.Rand(7, 2));
        bn.MovingVariance!.Assign(GradientCheck.Rand(7, 3, 0.3f, 2f));
        bn.Gamma!.Assign(GradientCheck.Rand(7, 4, 0.5f, 1.5f));
        bn.Beta!.Assign(GradientCheck.Rand(7, 19));
        SameAsModel(model, [10], 5);
    }

    [TestMethod]
    public void Zero_padding_becomes_same_or_explicit_pads_of_the_convolution()
    {
        KerasBackend.SetRandomSeed(6);
        // ((1, 1), (1, 1)) then a 3x3 'valid' convolution: the windows of 'same'.
        var same = new Sequential([new ZeroPadding2D(1), new Conv2D(4, [3, 3])]);
        same.Apply(Tensor.FromArray(GradientCheck.Rand(6 * 5 * 2, 7), 1, 6, 5, 2));
        var x = GradientCheck.Rand(6 * 5 * 2, 8);
        var (blob, path) = Export(same, [6, 5, 2], x, 1);
        using (blob)
        {
            var conv = blob.Graph!.Operators.Single();
            Assert.AreEqual("same", conv.Attribute("padding")!.AsString());
            Assert.IsNull(conv.Attribute("pads"));
        }

        File.Delete(path);
        SameAsModel(same, [6, 5, 2], 9);

        // ((2, 0), (1, 0)) then a stride-2 depthwise convolution: explicit pads [2, 1, 0, 0].
        var input = Input.Create([7, 6, 3]);
        var y = new DepthwiseConv2D([3, 3], [2, 2], "valid").Apply(new ZeroPadding2D(2, 0, 1, 0).Apply(input));
        var explicitPads = new Model(input, y);
        (blob, path) = Export(explicitPads, [7, 6, 3], GradientCheck.Rand(7 * 6 * 3, 10), 1);
        using (blob)
        {
            var dw = blob.Graph!.Operators.Single();
            CollectionAssert.AreEqual(new[] { 2, 1, 0, 0 }, dw.Attribute("pads")!.AsInt32Array());
        }

        File.Delete(path);
        SameAsModel(explicitPads, [7, 6, 3], 11);
    }

    [TestMethod]
    public void Zero_padding_after_a_relu_becomes_a_max_pooling_s_pads()
    {
        // PyTorch's MaxPool2d(3, 2, padding=1) as the ONNX importer builds it: a ReLU, zeros around, a valid pooling.
        // On 8×8, 'same' would pad (0, 1); torch pads (1, 1): explicit pads, exact because the ReLU made every value ≥ 0.
        KerasBackend.SetRandomSeed(8);
        var model = new Sequential([new Conv2D(4, [3, 3]), new ReLU(), new ZeroPadding2D(1), new MaxPool2D(3, 2), new Flatten(), new Dense(3)]);
        model.Apply(Tensor.FromArray(GradientCheck.Rand(10 * 10 * 2, 1), 1, 10, 10, 2));
        var (blob, path) = Export(model, [10, 10, 2], GradientCheck.Rand(200, 2), 1);
        try
        {
            var pool = blob.Graph!.Operators.Single(o => o.Opcode == Opcode.MaxPool2D);
            CollectionAssert.AreEqual(new[] { 1, 1, 1, 1 }, OperatorSchemas.MaxPool2D.Pads(pool.Attributes), "the max pooling's own pads");
        }
        finally
        {
            blob.Dispose();
            File.Delete(path);
        }

        SameAsModel(model, [10, 10, 2], 3);
    }

    [TestMethod]
    public void Folds_that_cannot_apply_are_refused_naming_the_layer()
    {
        KerasBackend.SetRandomSeed(12);
        var afterRelu = new Sequential([new Conv2D(3, [3, 3], activation: "relu", name: "c1"), new BatchNormalization(name: "bn_after_relu")]);
        afterRelu.Apply(Tensor.FromArray(GradientCheck.Rand(5 * 5 * 2, 13), 1, 5, 5, 2));
        var e = Assert.ThrowsExactly<NotSupportedException>(() => Export(afterRelu, [5, 5, 2], GradientCheck.Rand(50, 14), 1));
        StringAssert.Contains(e.Message, "BatchNormalization 'bn_after_relu' normalizes conv2d 'c1' with activation relu");
        StringAssert.Contains(e.Message, "put the activation after the BatchNormalization");

        var padThenPool = new Sequential([new ZeroPadding2D(1), new MaxPool2D(2, 2)]);
        padThenPool.Apply(Tensor.FromArray(GradientCheck.Rand(4 * 4, 15), 1, 4, 4, 1));
        e = Assert.ThrowsExactly<NotSupportedException>(() => Export(padThenPool, [4, 4, 1], GradientCheck.Rand(16, 16), 1));
        StringAssert.Contains(e.Message, "only a Conv2D or DepthwiseConv2D (or a MaxPool2D after a ReLU) can take into its padding");

        var relu6First = new Sequential([new ReLU(6f), new Dense(2)]);
        relu6First.Apply(Tensor.FromArray(GradientCheck.Rand(3, 17), 1, 3));
        e = Assert.ThrowsExactly<NotSupportedException>(() => Export(relu6First, [3], GradientCheck.Rand(3, 18), 1));
        StringAssert.Contains(e.Message, "relu6 after the model's input cannot be exported");
    }
}
