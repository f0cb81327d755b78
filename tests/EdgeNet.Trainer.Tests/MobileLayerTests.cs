using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Tensors;
using static EdgeNet.Trainer.Tests.GradientCheck;

namespace EdgeNet.Trainer.Tests;

/// <summary>
/// MobileNetV2's layers: depthwise convolution against a naive double loop and central differences, batch
/// normalization in training and inference mode against a hand computation, pooling, padding and ReLU6 gradients.
/// </summary>
[TestClass]
public sealed class MobileLayerTests
{
    /// <summary>The depthwise convolution in double, straight from its definition (Keras' DepthwiseConv2D with explicit pads).</summary>
    private static double[] NaiveDepthwise(float[] x, int b, int h, int w, int c, float[] k, int kh, int kw, int m, int sh, int sw, int pt, int pl, int oh, int ow)
    {
        var y = new double[b * oh * ow * c * m];
        for (int n = 0; n < b; n++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    for (int ci = 0; ci < c; ci++)
                    {
                        for (int q = 0; q < m; q++)
                        {
                            double s = 0;
                            for (int a = 0; a < kh; a++)
                            {
                                for (int d = 0; d < kw; d++)
                                {
                                    int ih = (i * sh) - pt + a, iw = (j * sw) - pl + d;
                                    if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                                    {
                                        s += (double)x[(((n * h) + ih) * w + iw) * c + ci] * k[(((a * kw) + d) * c + ci) * m + q];
                                    }
                                }
                            }

                            y[((((n * oh) + i) * ow + j) * c * m) + (ci * m) + q] = s;
                        }
                    }
                }
            }
        }

        return y;
    }

    [TestMethod]
    [DataRow(1, "same", 1)]
    [DataRow(2, "same", 1)]
    [DataRow(2, "valid", 1)]
    [DataRow(1, "valid", 3)]
    [DataRow(2, "same", 2)]
    public void Depthwise_forward_matches_a_naive_double_loop_and_backward_matches_central_differences(int stride, string padding, int m)
    {
        // Odd sizes: x [2, 7, 5, 11] (11 channels: a full vector and a scalar tail), kernel [3, 3, 11, m].
        int b = 2, h = 7, w = 5, c = 11;
        var x = Rand(b * h * w * c, 31);
        var k = Rand(9 * c * m, 32);
        var bias = Rand(c * m, 33);
        var y = Ops.DepthwiseConv2D(Tensor.FromArray(x, b, h, w, c), Tensor.FromArray(k, 3, 3, c, m), null, stride, stride, padding == "same").ToArray();
        var geo = EdgeNet.Formats.Contract.WindowGeometry.Create(h, w, 3, 3, stride, stride, padding == "same");
        var want = NaiveDepthwise(x, b, h, w, c, k, 3, 3, m, stride, stride, geo.PadTop, geo.PadLeft, geo.OutH, geo.OutW);
        Assert.HasCount(want.Length, y);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.AreEqual(want[i], y[i], 1e-5, $"y[{i}]");
        }

        Check($"depthwise s{stride} {padding} m{m}", t => Ops.DepthwiseConv2D(t[0], t[1], t[2], stride, stride, padding == "same", Activation.Tanh),
            [x, k, bias], [[b, h, w, c], [3, 3, c, m], [c * m]]);
    }

    [TestMethod]
    public void Batch_normalization_training_and_inference_against_a_hand_computation()
    {
        // x: [4, 2] (four rows, two channels); channel 0: 1, 2, 3, 6 (mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5).
        float[] x = [1, 10, 2, 20, 3, 30, 6, 40];
        var bn = new BatchNormalization(momentum: 0.9f, epsilon: 0.5f);
        var input = Tensor.FromArray(x, 4, 2);
        bn.Apply(input, training: false);   // builds: gamma 1, beta 0, moving mean 0, moving variance 1
        bn.Gamma!.Assign([2f, 1f]);
        bn.Beta!.Assign([0.5f, -1f]);

        // Inference: (x − 0) / √(1 + 0.5) · γ + β.
        var yi = bn.Apply(input, training: false).ToArray();
        Assert.AreEqual((1 / Math.Sqrt(1.5) * 2) + 0.5, yi[0], 1e-5);
        Assert.AreEqual((40 / Math.Sqrt(1.5)) - 1, yi[7], 1e-4);
        CollectionAssert.AreEqual(new[] { 0f, 0f }, bn.MovingMean!.Numpy(), "inference leaves the moving statistics");

        // Training: the batch's statistics; channel 1: 10, 20, 30, 40 (mean 25, biased variance 125).
        var yt = bn.Apply(input, training: true).ToArray();
        Assert.AreEqual(((1 - 3) / Math.Sqrt(3.5 + 0.5) * 2) + 0.5, yt[0], 1e-5);
        Assert.AreEqual(((40 - 25) / Math.Sqrt(125 + 0.5)) - 1, yt[7], 1e-5);
        // moving = 0.9·moving + 0.1·batch, the variance unbiased (n/(n−1) = 4/3): 0.1·3 = 0.3; 0.9·1 + 0.1·(3.5·4/3).
        Assert.AreEqual(0.3, bn.MovingMean!.Numpy()[0], 1e-6);
        Assert.AreEqual(2.5, bn.MovingMean.Numpy()[1], 1e-5);
        Assert.AreEqual(0.9 + (0.1 * 3.5 * 4 / 3), bn.MovingVariance!.Numpy()[0], 1e-5);
        Assert.AreEqual(0.9 + (0.1 * 125 * 4 / 3), bn.MovingVariance.Numpy()[1], 1e-4);
        // Two more training steps on the same batch: moving mean = 3·(1 − 0.9³) for channel 0.
        bn.Apply(input, training: true);
        bn.Apply(input, training: true);
        Assert.AreEqual(3 * (1 - Math.Pow(0.9, 3)), bn.MovingMean.Numpy()[0], 1e-5);
        Assert.AreEqual((Math.Pow(0.9, 3) * 1) + ((1 - Math.Pow(0.9, 3)) * 125 * 4 / 3), bn.MovingVariance.Numpy()[1], 1e-3);

        // A frozen layer (trainable = false) runs in inference mode even with training: true, as in Keras.
        bn.Trainable = false;
        var frozen = bn.Apply(input, training: true).ToArray();
        double inv0 = 1 / Math.Sqrt(bn.MovingVariance.Numpy()[0] + 0.5);
        Assert.AreEqual(((1 - bn.MovingMean.Numpy()[0]) * inv0 * 2) + 0.5, frozen[0], 1e-5);
        Assert.IsEmpty(bn.TrainableVariables);
        Assert.AreEqual(3 * (1 - Math.Pow(0.9, 3)), bn.MovingMean.Numpy()[0], 1e-5, "a frozen layer keeps its moving statistics");
    }

    [TestMethod]
    public void Recalibration_makes_the_moving_statistics_the_plain_average_of_the_batches()
    {
        // One batch is the whole set (8 samples), seen 3 times: with momentum 0.999 the moving statistics would barely move
        // from (0, 1); recalibrated, they are the set's mean and unbiased variance exactly, as torch's update_bn computes them.
        var x = Rand(8 * 3, 61, -2, 5);
        var model = new EdgeNet.Trainer.Keras.Models.Sequential([new BatchNormalization(momentum: 0.999f)]);
        model.Apply(Tensor.FromArray(x, 8, 3));
        var bn = model.BatchNormalizationLayers().Single();
        Assert.AreEqual(1, model.RecalibrateBatchNormalization(new NDArray(x, 8, 3), batches: 3, batchSize: 8));
        for (int c = 0; c < 3; c++)
        {
            var col = Enumerable.Range(0, 8).Select(r => (double)x[(r * 3) + c]).ToArray();
            double mean = col.Average(), unbiased = col.Sum(v => (v - mean) * (v - mean)) / 7;
            Assert.AreEqual(mean, bn.MovingMean!.Numpy()[c], 1e-5, $"mean {c}");
            Assert.AreEqual(unbiased, bn.MovingVariance!.Numpy()[c], 1e-4, $"variance {c}");
        }

        // Ordinary training afterwards uses the layer's own momentum again.
        bn.Apply(Tensor.FromArray(x, 8, 3), training: true);
        Assert.AreEqual(0.999 * bn.MovingMean!.Numpy()[0] / 0.999, bn.MovingMean.Numpy()[0], 1e-6);
    }

    [TestMethod]
    public void Batch_normalization_gradients_in_both_modes()
    {
        // x [3, 2, 2, 5]: statistics over 12 rows per channel; training mode differentiates through them.
        var x = Rand(60, 41, -2, 3);
        var gamma = Rand(5, 42, 0.5f, 1.5f);
        var beta = Rand(5, 43);
        foreach (bool training in new[] { true, false })
        {
            var mean = new Variable("m", Tensor.FromArray(Rand(5, 44), 5), trainable: false);
            var variance = new Variable("v", Tensor.FromArray(Rand(5, 45, 0.5f, 2f), 5), trainable: false);
            Check($"batch norm training={training}", t => Ops.BatchNorm(t[0], t[1], t[2], mean, variance, 1e-3f, 0.99f, training),
                [x, gamma, beta], [[3, 2, 2, 5], [5], [5]], eps: 1e-2f);
        }
    }

    [TestMethod]
    public void Pooling_padding_and_relu6_gradients()
    {
        // 11 channels: a whole vector of the SIMD kernels and a scalar tail.
        var x = Rand(2 * 5 * 4 * 11, 51);
        Check("avg pool valid", t => Ops.AvgPool2D(t[0], 2, 2, 2, 2, false), [x], [[2, 5, 4, 11]]);
        Check("avg pool same 3x3 s1 (edge windows count fewer taps)", t => Ops.AvgPool2D(t[0], 3, 3, 1, 1, true), [x], [[2, 5, 4, 11]]);
        Check("global average pool", t => Ops.GlobalAvgPool2D(t[0]), [x], [[2, 5, 4, 11]]);
        Check("zero pad", t => Ops.ZeroPad2D(t[0], 0, 1, 2, 1), [x], [[2, 5, 4, 11]]);
        // ReLU6 away from its kinks at 0 and 6.
        var r = Rand(40, 52, -3, 9).Select(v => Math.Abs(v) < 0.1f || Math.Abs(v - 6) < 0.1f ? v + 0.3f : v).ToArray();
        Check("relu6", t => Ops.Relu6(t[0]), [r], [[40]], eps: 1e-3f);
    }

    [TestMethod]
    public void Pooling_and_padding_values_by_hand()
    {
        // 1x3x3x1 image 1..9: 'same' 3x3 average at the corner counts 4 taps: (1 + 2 + 4 + 5) / 4 = 3; the centre (1..9) / 9 = 5.
        var img = Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 3, 3, 1);
        var avg = Ops.AvgPool2D(img, 3, 3, 1, 1, true).ToArray();
        Assert.AreEqual(3f, avg[0], 1e-6f);
        Assert.AreEqual(5f, avg[4], 1e-6f);
        Assert.AreEqual(5f, Ops.GlobalAvgPool2D(img).ToArray()[0], 1e-6f);
        var padded = Ops.ZeroPad2D(img, 1, 0, 0, 2);
        CollectionAssert.AreEqual(new[] { 1, 4, 5, 1 }, padded.Shape.Dims);
        CollectionAssert.AreEqual(new float[] { 0, 0, 0, 0, 0, 1, 2, 3, 0, 0 }, padded.ToArray().Take(10).ToArray());
        CollectionAssert.AreEqual(new float[] { 0, 6, 6, 0, 3 }, Ops.Relu6(Tensor.FromArray([-1, 6, 9, 0, 3], 5)).ToArray());
    }
}
