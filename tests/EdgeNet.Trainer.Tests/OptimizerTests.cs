using EdgeNet.Tests.Shared;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Tests;

/// <summary>Optimizer updates against the update rules computed by hand in double precision.</summary>
[TestClass]
public sealed class OptimizerTests
{
    private static readonly float[] Grad1 = [0.5f, -1.5f, 2f, 1e-3f];
    private static readonly float[] Grad2 = [-0.25f, 0.75f, 1f, -2f];

    private static (Variable V, Tensor G1, Tensor G2) Setup()
    {
        var v = new Variable("w", Tensor.FromArray([1f, -2f, 0.5f, 3f], 4));
        return (v, TensorScope.Detach(Tensor.FromArray(Grad1, 4)), TensorScope.Detach(Tensor.FromArray(Grad2, 4)));
    }

    [TestMethod]
    public void Adam_two_steps_follow_the_keras_update_rule()
    {
        var (v, g1, g2) = Setup();
        var opt = new Adam(learningRate: 0.01f, beta1: 0.9f, beta2: 0.999f, epsilon: 1e-7f);
        double[] p = [1, -2, 0.5, 3];
        double[] m = new double[4], s = new double[4];
        foreach (var (g, t) in new[] { (Grad1, 1), (Grad2, 2) })
        {
            double lrT = 0.01 * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
            for (int i = 0; i < 4; i++)
            {
                m[i] = (0.9 * m[i]) + (0.1 * g[i]);
                s[i] = (0.999 * s[i]) + (0.001 * g[i] * g[i]);
                p[i] -= lrT * m[i] / (Math.Sqrt(s[i]) + 1e-7);
            }
        }

        opt.ApplyGradients([(g1, v)]);
        opt.ApplyGradients([(g2, v)]);
        var got = v.Numpy();
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual(p[i], got[i], 1e-6, $"w[{i}]");
        }

        Assert.AreEqual(2, opt.Iterations);
    }

    [TestMethod]
    [DataRow(0f, false)]
    [DataRow(0.9f, false)]
    [DataRow(0.9f, true)]
    public void SGD_with_and_without_momentum(float momentum, bool nesterov)
    {
        var (v, g1, g2) = Setup();
        var opt = new SGD(learningRate: 0.1f, momentum: momentum, nesterov: nesterov);
        double[] p = [1, -2, 0.5, 3];
        double[] vel = new double[4];
        foreach (var g in new[] { Grad1, Grad2 })
        {
            for (int i = 0; i < 4; i++)
            {
                vel[i] = (momentum * vel[i]) - (0.1 * g[i]);
                p[i] += nesterov ? (momentum * vel[i]) - (0.1 * g[i]) : vel[i];
            }
        }

        opt.ApplyGradients([(g1, v)]);
        opt.ApplyGradients([(g2, v)]);
        var got = v.Numpy();
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual(p[i], got[i], 1e-6, $"w[{i}]");
        }
    }

    [TestMethod]
    public void Adam_and_momentum_state_is_flushed_to_zero_below_the_smallest_normal_float()
    {
        // A weight whose gradient is zero (a dead ReLU unit) decays its momentum by β1 per step; below
        // 1.17549435e-38 the value would be subnormal (every later multiply slow), so it is stored as 0,
        // as TensorFlow's flush-to-zero mode does. 20 values: the vector loop and the scalar tail.
        const int N = 20;
        const float JustNormal = 1.2e-38f;   // β1·1.2e-38 = 1.08e-38 and momentum·v are subnormal
        var v = new Variable("w", Tensor.FromArray(Enumerable.Repeat(1f, N).ToArray(), N));
        var zero = TensorScope.Detach(Tensor.Zeros(new Shape(N)));
        var adam = new Adam(learningRate: 0.01f);
        var slots = adam.Slots(v);
        slots[0].Backend.Upload(Enumerable.Repeat(JustNormal, N).ToArray(), slots[0]);
        slots[1].Backend.Upload(Enumerable.Repeat(1e-4f, N).ToArray(), slots[1]);
        adam.ApplyGradients([(zero, v)]);
        var m = new float[N];
        slots[0].Backend.Download(slots[0], m);
        CollectionAssert.AreEqual(new float[N], m, "β1·m below the smallest normal float is stored as 0");

        var w = new Variable("w2", Tensor.FromArray(Enumerable.Repeat(1f, N).ToArray(), N));
        var sgd = new SGD(learningRate: 0.1f, momentum: 0.9f);
        var velocity = sgd.Slots(w);
        velocity[0].Backend.Upload(Enumerable.Repeat(JustNormal, N).ToArray(), velocity[0]);
        sgd.ApplyGradients([(zero, w)]);
        var vel = new float[N];
        velocity[0].Backend.Download(velocity[0], vel);
        CollectionAssert.AreEqual(new float[N], vel, "momentum·v below the smallest normal float is stored as 0");
    }

    [TestMethod]
    public void Clipnorm_and_global_clipnorm_rescale_like_keras()
    {
        // g1 = [3, 4] (norm 5), g2 = [12] (norm 12); global norm 13.
        float[] Run(float? clip, float? global, int which)
        {
            var a = new Variable("a", Tensor.FromArray([0f, 0f], 2));
            var b = new Variable("b", Tensor.FromArray([0f], 1));
            var opt = new SGD(1f) { ClipNorm = clip, GlobalClipNorm = global };
            using var scope = TensorScope.Begin();
            opt.ApplyGradients([(Tensor.FromArray([3f, 4f], 2), a), (Tensor.FromArray([12f], 1), b)]);
            return which == 0 ? a.Numpy() : b.Numpy();
        }

        CollectionAssert.AreEqual(new[] { -3f, -4f }, Run(null, null, 0), new FloatTolerance(1e-5f));
        CollectionAssert.AreEqual(new[] { -0.6f, -0.8f }, Run(1f, null, 0), new FloatTolerance(1e-5f), "clipnorm 1: [3, 4]/5");
        CollectionAssert.AreEqual(new[] { -1f }, Run(1f, null, 1), new FloatTolerance(1e-5f), "clipnorm 1: [12]/12");
        CollectionAssert.AreEqual(new[] { -3f / 13 * 6.5f, -4f / 13 * 6.5f }, Run(null, 6.5f, 0), new FloatTolerance(1e-5f), "global 6.5: scaled by 6.5/13");
        CollectionAssert.AreEqual(new[] { -6f }, Run(null, 6.5f, 1), new FloatTolerance(1e-5f));
    }

    [TestMethod]
    public void A_NaN_gradient_is_refused_and_nothing_is_updated()
    {
        var a = new Variable("layer/a", Tensor.FromArray([1f, 2f], 2));
        var b = new Variable("layer/b", Tensor.FromArray([3f, 4f], 2));
        var ga = TensorScope.Detach(Tensor.FromArray([0.1f, 0.1f], 2));
        var gb = TensorScope.Detach(Tensor.FromArray([float.NaN, 0.1f], 2));
        var opt = new Adam();
        var e = Assert.ThrowsExactly<NonFiniteGradientException>(() => opt.ApplyGradients([(ga, a), (gb, b)]));
        StringAssert.Contains(e.Message, "'layer/b'");
        StringAssert.Contains(e.Message, "no variable was updated");
        StringAssert.Contains(e.Message, "Fix:");
        CollectionAssert.AreEqual(new[] { 1f, 2f }, a.Numpy());
        CollectionAssert.AreEqual(new[] { 3f, 4f }, b.Numpy());
        Assert.AreEqual(0, opt.Iterations);
    }
}
