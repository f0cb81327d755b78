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
