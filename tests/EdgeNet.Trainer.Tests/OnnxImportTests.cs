using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Cli;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Import;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Tests;

/// <summary>
/// The ONNX importer on files PyTorch's exporter and onnx.helper wrote (OnnxFiles/make.py): outputs against ONNX
/// Runtime and a hand computation, parameter counts against the file's, refusals that name the file, node and fix.
/// </summary>
[TestClass]
[DoNotParallelize] // seeds the process-wide Keras RNG
public sealed class OnnxImportTests
{
    private static string File(string name) => Path.Combine(AppContext.BaseDirectory, "OnnxFiles", name);

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2) - 1)).ToArray();
    }

    [TestMethod]
    [DataRow("cnn_flatten.onnx", 853)]
    [DataRow("residual.onnx", 916)]
    [DataRow("matmul.onnx", 73)]
    [DataRow("view_flatten.onnx", 354)]
    [DataRow("ceil_pool.onnx", 371)] // max pooling with ceil_mode after ReLUs: the last partial window as end padding
    [DataRow("se_block.onnx", 1213)] // hard swish and SiLU as products, squeeze-and-excitation gates (opset 13)
    [DataRow("se_block14.onnx", 1213)] // the same with HardSwish nodes (opset 14)
    [DataRow("fire.onnx", 985)] // SqueezeNet's fire modules: Concat over the channels
    [DataRow("shuffle.onnx", 892)] // ShuffleNetV2's units: Slice, Concat, the channel shuffle through folded shape chains
    [DataRow("affine.onnx", 150, 128)] // (x − mean) / std per channel, then 1.5 − 0.5·x: four 1×1 depthwise convolutions, a scale and a shift per channel (6 + 6 + 8 + 8 for the mean, the std and two scalar Constant nodes)
    [DataRow("flat_out.onnx", 57)] // a flattened map as the output: ONNX's (C, H, W) order restored
    [DataRow("lstm.onnx", 475, 507)] // Keras' LSTM(8) on 5 features has 448 (one bias); ONNX keeps two biases (+32)
    public void Imported_models_compute_what_onnx_runtime_computes(string file, int parameters, int fileParameters = 0)
    {
        var import = OnnxImporter.Import(File(file));
        Assert.AreEqual(parameters, import.Model.CountParams(), "the Keras model's parameters");
        Assert.AreEqual(fileParameters > 0 ? fileParameters : parameters, import.FileParameters, "the file's float initializers");
        int per = import.InputShape.Aggregate(1, (a, d) => a * d);
        double worst = ImportCommand.Check(File(file), import.Model, import.InputShape, Random(6 * per, 3));
        Assert.IsLessThan(1e-5, worst, $"{file}: largest difference against ONNX Runtime, relative to the output's range");
    }

    private static Model Residual()
    {
        var input = Input.Create([11, 9, 3]);
        var x = new Conv2D(8, [3, 3], padding: "same", useBias: false).Apply(input);
        x = new BatchNormalization(epsilon: 1e-3f).Apply(x);
        x = new ReLU(6f).Apply(x);
        var (t, b, l, r) = Keras.Applications.Applications.CorrectPad(11, 9, 3);
        x = new ZeroPadding2D(t, b, l, r).Apply(x);
        x = new DepthwiseConv2D([3, 3], [2, 2], "valid", useBias: false).Apply(x);
        x = new BatchNormalization(epsilon: 1e-3f).Apply(x);
        var branch = new ReLU(6f).Apply(x);
        x = new Conv2D(16, [1, 1], activation: "relu").Apply(branch);
        x = new Conv2D(8, [1, 1]).Apply(x);
        x = new Add().Apply(branch, x);
        x = new GlobalAveragePooling2D().Apply(x);
        var model = new Model(input, new Dense(4, activation: "softmax").Apply(x));
        return EdgeNet.Tests.Shared.RandomBatchNorm.Randomize(model, 2);
    }

    [TestMethod]
    public void EdgeNet_s_own_onnx_export_imports_back_to_the_same_outputs()
    {
        // The exporter writes NHWC at the edges with Transposes (as tf2onnx does for a Keras model), NCHW inside,
        // BatchNormalization folded, ReLU6 as Clip, Dense as MatMul + Add: the importer takes all of it back.
        KerasBackend.SetRandomSeed(4);
        foreach (var (model, sample) in new (Func<Model> Make, int[] Sample)[]
                 {
                     (() => new Sequential([new Conv2D(5, [3, 3], padding: "same", activation: "relu"), new MaxPool2D([2, 2]), new Flatten(), new Dense(7, activation: "softmax")]), [8, 6, 3]),
                     (Residual, [11, 9, 3]),
                 }.Select(m => (m.Make(), m.Sample)))
        {
            int per = sample.Aggregate(1, (a, d) => a * d);
            float[] x = Random(5 * per, 8);
            float[] expected;
            using (var scope = TensorScope.Begin())
            {
                expected = model.Predict(Tensor.FromArray(x, [5, .. sample])).ToArray();
            }

            string path = Path.Combine(Path.GetTempPath(), $"roundtrip-{Guid.NewGuid():N}.onnx");
            try
            {
                OnnxExporter.Export(model, path, sample, x[..per]);
                var import = OnnxImporter.Import(path);
                CollectionAssert.AreEqual(sample, import.InputShape, "NHWC input taken as it is");
                Assert.IsTrue(import.Rows.Any(r => r.OpTypes == "input" && r.Note.Contains("NHWC already", StringComparison.Ordinal)));
                float[] got;
                using (var scope = TensorScope.Begin())
                {
                    got = import.Model.Predict(Tensor.FromArray(x, [5, .. sample])).ToArray();
                }

                Assert.HasCount(expected.Length, got);
                for (int i = 0; i < got.Length; i++)
                {
                    Assert.AreEqual(expected[i], got[i], 1e-5, $"{model.Name} output {i}");
                }
            }
            finally
            {
                System.IO.File.Delete(path);
            }
        }
    }

    [TestMethod]
    public void A_flattened_feature_map_keeps_onnx_s_channel_major_order()
    {
        // torch.flatten of [N, 8, 4, 4] reads c, h, w; NHWC holds h, w, c: the Dense after it must take its rows reordered.
        var import = OnnxImporter.Import(File("cnn_flatten.onnx"));
        Assert.IsTrue(import.Rows.Any(r => r.OpTypes == "Gemm" && r.Note.Contains("(C, H, W) = (8, 4, 4)", StringComparison.Ordinal)), "the Gemm's rows are reordered");
        Assert.AreEqual(1, import.Model.Layers.OfType<BatchNormalization>().Count(), "BatchNormalization stays a layer (the export folds it)");
        Assert.IsTrue(import.Rows.Any(r => r.OpTypes == "MaxPool" && r.Note.Contains("ZeroPadding2D", StringComparison.Ordinal)), "the max pooling's torch padding (1, 1) after a ReLU, as zeros");
        Assert.IsTrue(import.Rows.Any(r => r.OpTypes == "Conv" && r.Note.StartsWith("group 4: depthwise", StringComparison.Ordinal)), "groups = channels with 8 outputs: depthwise with multiplier 2");
    }

    [TestMethod]
    public void A_shape_chain_on_the_batch_is_folded_and_the_view_keeps_channel_major_order()
    {
        // x.view(x.size(0), -1): Shape -> Gather(0) -> Unsqueeze -> Concat([N], [-1]) -> Reshape, the batch left symbolic.
        var import = OnnxImporter.Import(File("view_flatten.onnx"));
        var folded = import.Rows.Where(r => r.Note.StartsWith("folded:", StringComparison.Ordinal)).Select(r => r.OpTypes).ToList();
        CollectionAssert.AreEqual(new[] { "Shape", "Gather", "Unsqueeze", "Concat" }, folded);
        Assert.IsTrue(import.Rows.Any(r => r.OpTypes == "Concat" && r.Note.EndsWith("= [N, -1]", StringComparison.Ordinal)), "the target shape keeps the batch symbolic");
        Assert.IsTrue(import.Rows.Any(r => r.OpTypes == "Gemm" && r.Note.Contains("(C, H, W) = (6, 3, 4)", StringComparison.Ordinal)), "the view's rows reordered");
        Assert.IsTrue(import.Rows.Any(r => r.OpTypes == "ReduceMean" && r.Layer.Length > 0), "x.mean([2, 3]) -> global average pooling");
    }

    [TestMethod]
    public void MatMul_and_Add_become_one_dense_layer_computed_as_by_hand()
    {
        var onnx = OnnxReader.Read(File("matmul.onnx"));
        float[] w1 = onnx.Graph.Initializers["w1"].Floats!, b1 = onnx.Graph.Initializers["b1"].Floats!, w2 = onnx.Graph.Initializers["w2"].Floats!, b2 = onnx.Graph.Initializers["b2"].Floats!;
        var import = OnnxImporter.Import(File("matmul.onnx"));
        Assert.AreEqual(2, import.Model.Layers.OfType<Dense>().Count(), "MatMul + Add (either operand order) -> Dense");
        float[] x = Random(6, 9);
        float[] y;
        using (var scope = TensorScope.Begin())
        {
            y = import.Model.Predict(Tensor.FromArray(x, [1, 6])).ToArray();
        }

        for (int o = 0; o < 3; o++)
        {
            double sum = b2[o];
            for (int j = 0; j < 7; j++)
            {
                double h = b1[j];
                for (int i = 0; i < 6; i++)
                {
                    h += x[i] * w1[(i * 7) + j];
                }

                sum += Math.Tanh(h) * w2[(j * 3) + o];
            }

            Assert.AreEqual(sum, y[o], 1e-5, $"output {o}");
        }
    }

    [TestMethod]
    public void Products_of_a_value_and_its_gate_become_one_activation_and_se_gates_a_channel_multiply()
    {
        // torch at opset 13 writes Hardswish as x · HardSigmoid(x) and SiLU as x · Sigmoid(x): each pair is one activation; the
        // squeeze-and-excitation's scale [N, C, 1, 1] times the map is a Multiply with the gate reshaped to [N, 1, 1, C]; its
        // 1×1 convolutions on the pooled value are Dense layers; x · conv(x) stays a product.
        var import = OnnxImporter.Import(File("se_block.onnx"));
        var acts = import.Model.Layers.OfType<ActivationLayer>().Select(a => a.Activation).ToList();
        Assert.AreEqual(2, acts.Count(a => a == "hard_swish"), "stem and classifier hard swishes: " + string.Join(", ", acts));
        Assert.AreEqual(2, acts.Count(a => a == "silu"), "the expansion's SiLU and the SE's inner one: " + string.Join(", ", acts));
        Assert.AreEqual(1, acts.Count(a => a == "hard_sigmoid"), "the first SE's gate");
        Assert.AreEqual(1, acts.Count(a => a == "sigmoid"), "the second SE's gate (its Mul reads the map, not the sigmoid's input)");
        Assert.AreEqual(3, import.Model.Layers.OfType<Multiply>().Count(), "two SE gates and x · gate(x)");
        Assert.AreEqual(2, import.Rows.Count(r => r.OpTypes == "Mul" && r.Note.StartsWith("a gate [N, ", StringComparison.Ordinal)));
        Assert.AreEqual(4, import.Rows.Count(r => r.OpTypes == "Conv" && r.Note.StartsWith("1×1 on [N, ", StringComparison.Ordinal)), "the SE's reduce and expand convolutions: Dense");
        Assert.IsTrue(import.Rows.Any(r => r.OpTypes == "HardSigmoid + Mul"), "rows name the fused pair");
    }

    [TestMethod]
    public void Concat_chunk_and_channel_shuffle_become_concatenate_channel_slices_and_one_shuffle_layer()
    {
        var fire = OnnxImporter.Import(File("fire.onnx"));
        Assert.AreEqual(2, fire.Model.Layers.OfType<Concatenate>().Count(), "each fire module's expand 1×1 and 3×3 outputs side by side");
        Assert.IsTrue(fire.Rows.Any(r => r.OpTypes == "Concat" && r.Note == "2 inputs over the channels: 6 + 6"));

        // x.chunk(2, dim=1) as two Slices of the channels; view(N, 2, C/2, H, W).transpose(1, 2).view(N, C, H, W) as one layer.
        var shuffle = OnnxImporter.Import(File("shuffle.onnx"));
        var slices = shuffle.Model.Layers.OfType<ChannelSlice>().Select(s => (s.Begin, s.Size)).ToList();
        CollectionAssert.AreEquivalent(new[] { (0, 8), (8, 8) }, slices, "the stride-1 unit's chunk");
        var shuffles = shuffle.Model.Layers.OfType<ChannelShuffle>().ToList();
        Assert.HasCount(2, shuffles, "one per unit");
        Assert.IsTrue(shuffles.TrueForAll(s => s.Groups == 2));
        Assert.AreEqual(2, shuffle.Rows.Count(r => r.OpTypes == "Transpose" && r.Note.Contains("the channel shuffle's interleave", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void A_hard_sigmoid_other_than_pytorch_s_is_refused_with_its_parameters()
    {
        // Keras 2's hard sigmoid (α 0.2, as tf2onnx writes it): the same node type, another function.
        var e = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(File("hsig_keras2.onnx")));
        StringAssert.Contains(e.Message, "hsig_keras2.onnx: node 'hsig_keras' (HardSigmoid) has alpha 0.2 and beta 0.5");
        StringAssert.Contains(e.Message, "alpha 1/6, beta 0.5");
    }

    [TestMethod]
    public void An_imported_model_exports_to_an_int8_blob()
    {
        var import = OnnxImporter.Import(File("residual.onnx"));
        string path = Path.Combine(Path.GetTempPath(), $"import-{Guid.NewGuid():N}.enb");
        try
        {
            var report = ModelExporter.ExportSamples(import.Model, path, new QuantizationOptions { Scheme = QuantizationScheme.Int8, CalibrationSamples = 16 },
                [new NDArray(Random(16 * 12 * 10 * 3, 4), [16, 12, 10, 3])], new Dictionary<string, EnbValue>());
            using var blob = BlobReader.Open(path);
            var opcodes = blob.Graph!.Operators.Select(o => o.Opcode).ToList();
            CollectionAssert.Contains(opcodes, Opcode.DepthwiseConv2D);
            CollectionAssert.Contains(opcodes, Opcode.Add);
            Assert.IsTrue(report.Layers.All(l => l.MaxRelative < 0.2), "int8 per-layer error: " + string.Join(", ", report.Layers.Select(l => $"{l.Value} {l.MaxRelative:E1}")));
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [TestMethod]
    public void Every_unsupported_operator_is_listed_at_once_with_its_count_and_first_node()
    {
        var e = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(File("unsupported.onnx")));
        StringAssert.Contains(e.Message, "unsupported.onnx: 4 operator(s)");
        StringAssert.Contains(e.Message, "Transpose with perm [0, 1, 3, 2] ×1 (first: 'swap_hw' (Transpose))");
        StringAssert.Contains(e.Message, "LeakyRelu ×2 (first: 'lrelu_1' (LeakyRelu))");
        StringAssert.Contains(e.Message, "Div on activations ×1 (first: 'div_1' (Div); folded only on constants)");
        StringAssert.Contains(e.Message, "Pow ×1 (first: 'pow_1' (Pow))");
        StringAssert.Contains(e.Message, "--list-ops");
    }

    [TestMethod]
    public void A_ceil_mode_window_starting_in_the_padding_is_refused_as_ambiguous()
    {
        // 5 rows padded 1+1 pooled 2/2: ceil gives a 4th window starting at row 6, inside the end padding. PyTorch drops it
        // (3 rows), ONNX Runtime at opset 13 keeps it (4): the importer will not pick one.
        var e = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(File("ceil_drop.onnx")));
        StringAssert.Contains(e.Message, "ceil_drop.onnx: node 'pool' (MaxPool) has ceil_mode 1 with a last row window that would start in the padding");
    }

    [TestMethod]
    public void Old_opsets_external_weights_truncated_and_foreign_files_are_refused_naming_the_file()
    {
        var old = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(File("old_opset.onnx")));
        StringAssert.Contains(old.Message, "old_opset.onnx: opset 9 of ai.onnx; the importer reads opsets 11 to 21");
        var flat = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(File("bn_flat.onnx")));
        StringAssert.Contains(flat.Message, "node 'bn_on_flat' (BatchNormalization) normalizes a flattened feature map");
        var ext = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(File("external.onnx")));
        StringAssert.Contains(ext.Message, "initializer 'w' keeps its data in an external file");
        StringAssert.Contains(ext.Message, "weights.bin");

        string dir = Directory.CreateTempSubdirectory("onnx-bad-").FullName;
        try
        {
            byte[] whole = System.IO.File.ReadAllBytes(File("residual.onnx"));
            string cut = Path.Combine(dir, "cut.onnx");
            System.IO.File.WriteAllBytes(cut, whole[..(whole.Length / 2)]);
            var t = Assert.ThrowsExactly<InvalidDataException>(() => OnnxImporter.Import(cut));
            StringAssert.StartsWith(t.Message, cut);
            string text = Path.Combine(dir, "notes.onnx");
            System.IO.File.WriteAllText(text, "this is not a model\n");
            var f = Assert.ThrowsExactly<InvalidDataException>(() => OnnxImporter.Import(text));
            StringAssert.StartsWith(f.Message, text);
            Assert.ThrowsExactly<FileNotFoundException>(() => OnnxImporter.Import(Path.Combine(dir, "missing.onnx")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
