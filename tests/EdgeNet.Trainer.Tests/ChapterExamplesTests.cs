using EdgeNet.Tests.Shared;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Tests;

/// <summary>The chapter's printed examples, reproduced with the same shape of code.</summary>
[TestClass]
public sealed class ChapterExamplesTests
{
    private sealed class Linear : Model
    {
        private readonly Dense _dense = new(units: 1, activation: null, kernelInitializer: Initializer.Zeros, biasInitializer: Initializer.Zeros);

        public override Tensor Call(Tensor input, bool training = false) => _dense.Apply(input);
    }

    /// <summary>
    /// The 100 SGD steps in closed form, computed independently in double precision:
    /// loss = mean((X·a + b − y)²), ∂a = 2/N·Xᵀ(X·a + b − y), ∂b = 2/N·Σ(X·a + b − y).
    /// </summary>
    private static (double[] A, double B) LinearReference()
    {
        double[][] x = [[1, 2, 3], [4, 5, 6]];
        double[] y = [10, 20];
        double[] a = new double[3];
        double b = 0;
        for (int step = 0; step < 100; step++)
        {
            double[] r = x.Select((row, i) => row.Zip(a, (p, q) => p * q).Sum() + b - y[i]).ToArray();
            double[] ga = Enumerable.Range(0, 3).Select(j => 2.0 / 2 * x.Select((row, i) => row[j] * r[i]).Sum()).ToArray();
            double gb = 2.0 / 2 * r.Sum();
            for (int j = 0; j < 3; j++)
            {
                a[j] -= 0.01 * ga[j];
            }

            b -= 0.01 * gb;
        }

        return (a, b);
    }

    [TestMethod]
    public void Linear_model_after_100_SGD_steps_matches_the_closed_form_and_keras()
    {
        var x = Tensor.FromRows([[1f, 2f, 3f], [4f, 5f, 6f]]);
        var y = Tensor.FromRows([[10f], [20f]]);
        var model = new Linear();
        var optimizer = new SGD(learningRate: 0.01f);
        for (int i = 0; i < 100; i++)
        {
            using var scope = TensorScope.Begin();
            using var tape = new GradientTape();
            var yPred = model.Apply(x);
            var loss = Ops.ReduceMean(Ops.Square(yPred - y));
            var grads = tape.Gradient(loss, model.Variables);
            optimizer.ApplyGradients(grads.Zip(model.Variables));
        }

        var (a, b) = LinearReference();
        float[] kernel = model.Variables[0].Numpy();
        float bias = model.Variables[1].Numpy()[0];
        for (int j = 0; j < 3; j++)
        {
            Assert.AreEqual(a[j], kernel[j], 1e-4, $"kernel[{j}]");
        }

        Assert.AreEqual(b, bias, 1e-4, "bias");

        // The closed form's values (LinearReference) written out to 8 digits; the chapter prints no numbers for
        // this program. They pin the reference itself, so a change to it cannot go unnoticed.
        CollectionAssert.AreEqual(new[] { 0.40784496f, 1.191065f, 1.9742855f }, kernel, new FloatTolerance(1e-4f));
        Assert.AreEqual(0.78322077f, bias, 1e-4f);
        StringAssert.StartsWith(model.Variables[0].Name, "dense");
        StringAssert.EndsWith(model.Variables[0].Name, "/kernel");
        StringAssert.EndsWith(model.Variables[1].Name, "/bias");
    }

    private static readonly float[] Image7x7 =
    [
        0, 0, 0, 0, 0, 0, 0,
        0, 1, 0, 1, 2, 1, 0,
        0, 0, 2, 2, 0, 1, 0,
        0, 1, 1, 0, 2, 1, 0,
        0, 0, 2, 1, 1, 0, 0,
        0, 2, 1, 1, 2, 0, 0,
        0, 0, 0, 0, 0, 0, 0,
    ];

    private static readonly float[] W3x3 = [0, 0, -1, 0, 1, 0, -2, 0, 2];

    private static float[] ChapterConv(int strides, string padding)
    {
        var model = new Sequential([new Conv2D(filters: 1, kernelSize: [3, 3], strides: [strides, strides], padding: padding,
            kernelInitializer: Initializer.Constant(W3x3), biasInitializer: Initializer.Constant([1f]))]);
        return model.Apply(Tensor.FromArray(Image7x7, 1, 7, 7, 1)).ToArray();
    }

    [TestMethod]
    public void Conv2D_on_the_7x7_image_prints_the_chapters_5x5_matrix()
    {
        float[] expected =
        [
            6, 5, -2, 1, 2,
            3, 0, 3, 2, -2,
            4, 2, -1, 0, 0,
            2, 1, 2, -1, -3,
            1, 1, 1, 3, 1,
        ];
        CollectionAssert.AreEqual(expected, ChapterConv(1, "valid"));
    }

    [TestMethod]
    public void Conv2D_with_strides_2_gives_3x3_and_same_padding_gives_7x7()
    {
        CollectionAssert.AreEqual(new float[] { 6, -2, 2, 4, -1, 0, 1, 1, 1 }, ChapterConv(2, "valid"));

        // 'same': zero padding of one pixel on each side; reference by direct summation.
        var same = ChapterConv(1, "same");
        Assert.HasCount(49, same);
        for (int i = 0; i < 7; i++)
        {
            for (int j = 0; j < 7; j++)
            {
                float s = 1f;
                for (int u = 0; u < 3; u++)
                {
                    for (int v = 0; v < 3; v++)
                    {
                        int r = i + u - 1, c = j + v - 1;
                        s += r is >= 0 and < 7 && c is >= 0 and < 7 ? Image7x7[(r * 7) + c] * W3x3[(u * 3) + v] : 0;
                    }
                }

                Assert.AreEqual(s, same[(i * 7) + j], $"same[{i},{j}]");
            }
        }

        // The interior equals the valid result.
        Assert.AreEqual(6f, same[8]);
        Assert.AreEqual(1f, same[(5 * 7) + 5]);
    }
}
