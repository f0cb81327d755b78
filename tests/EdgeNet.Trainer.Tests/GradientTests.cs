using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Tensors;
using static EdgeNet.Trainer.Tests.GradientCheck;

namespace EdgeNet.Trainer.Tests;

/// <summary>Finite-difference checks of every op's backward pass.</summary>
[TestClass]
public sealed class GradientTests
{
    [TestMethod]
    [DataRow(Activation.Linear)]
    [DataRow(Activation.Relu)]
    [DataRow(Activation.Sigmoid)]
    [DataRow(Activation.Tanh)]
    public void Dense_with_each_activation(Activation act)
    {
        // x [5, 7], kernel [7, 3], bias [3]; relu inputs kept away from the kink.
        Check($"dense {act}", t => Ops.Dense(t[0], t[1], t[2], act),
            [Rand(35, 1, avoidAbsBelow: 0.05f), Rand(21, 2), Rand(3, 3)], [[5, 7], [7, 3], [3]], tol: act == Activation.Relu ? 5e-2 : 2e-2);
    }

    [TestMethod]
    public void MatMul_with_every_transpose()
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            int[] sa = ta ? [4, 3] : [3, 4];
            int[] sb = tb ? [5, 4] : [4, 5];
            Check($"matmul {ta}/{tb}", t => Ops.MatMul(t[0], t[1], ta, tb), [Rand(12, 4), Rand(20, 5)], [sa, sb]);
        }
    }

    [TestMethod]
    [DataRow(1, "valid")]
    [DataRow(1, "same")]
    [DataRow(2, "same")]
    [DataRow(2, "valid")]
    public void Conv2D_forward_and_both_backward_passes(int stride, string padding)
    {
        // x [2, 6, 5, 3], kernel [3, 2, 3, 4], bias [4]
        Check($"conv2d s{stride} {padding}", t => Ops.Conv2D(t[0], t[1], t[2], stride, stride, padding == "same", Activation.Tanh),
            [Rand(180, 6), Rand(72, 7), Rand(4, 8)], [[2, 6, 5, 3], [3, 2, 3, 4], [4]]);
    }

    [TestMethod]
    public void MaxPool2D_routes_the_gradient_to_the_maximum()
    {
        // Distinct values so the maximum is unique and a small step does not change it.
        var v = Enumerable.Range(0, 2 * 5 * 4 * 3).Select(i => (float)((i * 37 % 120) * 0.05)).ToArray();
        Check("maxpool valid", t => Ops.MaxPool2D(t[0], 2, 2, 2, 2, false), [v], [[2, 5, 4, 3]], eps: 1e-3f);
        Check("maxpool same s1", t => Ops.MaxPool2D(t[0], 3, 3, 1, 1, true), [v], [[2, 5, 4, 3]], eps: 1e-3f);
    }

    [TestMethod]
    public void Softmax_and_reductions()
    {
        Check("softmax", t => Ops.Softmax(t[0]), [Rand(24, 9)], [[4, 6]]);
        Check("reduce_sum axis 1", t => Ops.ReduceSum(t[0], 1), [Rand(24, 10)], [[2, 3, 4]]);
        Check("reduce_mean all", t => Ops.ReduceMean(t[0]), [Rand(24, 11)], [[2, 3, 4]]);
        var distinct = Enumerable.Range(0, 24).Select(i => (float)(i * 7 % 24)).ToArray();
        Check("reduce_max", t => Ops.ReduceMax(t[0], -1), [distinct], [[4, 6]], eps: 1e-3f);
    }

    [TestMethod]
    public void Hard_sigmoid_hard_swish_and_silu()
    {
        // Inputs spread over [−5, 5] (all three pieces of the hard functions), kept 0.05 away from their kinks at ±3.
        float[] x = Rand(40, 31, -5f, 5f).Select(v => Math.Abs(Math.Abs(v) - 3f) < 0.05f ? v * 0.9f : v).ToArray();
        Check("hard_sigmoid", t => Ops.HardSigmoid(t[0]), [x], [[40]]);
        Check("hard_swish", t => Ops.HardSwish(t[0]), [x], [[40]]);
        Check("silu", t => Ops.Silu(t[0]), [x], [[40]]);
    }

    [TestMethod]
    public void Channel_slices_shuffles_and_concatenations()
    {
        Check("channel_slice", t => Ops.ChannelSlice(t[0], 2, 3), [Rand(2 * 3 * 7, 36)], [[2, 3, 7]]);
        Check("channel_shuffle", t => Ops.ChannelShuffle(t[0], 3), [Rand(2 * 2 * 6, 37)], [[2, 2, 6]]);
        Check("concat", t => Ops.Concat([t[0], t[1]]), [Rand(2 * 3 * 4, 38), Rand(2 * 3 * 2, 39)], [[2, 3, 4], [2, 3, 2]]);
    }

    [TestMethod]
    public void A_channel_gate_scales_a_feature_map_per_image_and_channel()
    {
        // x [2, 3, 4, 5] times a gate [2, 1, 1, 5] (squeeze-and-excitation): the gate's gradient sums over H and W.
        Check("gate", t => Ops.Mul(t[0], t[1]), [Rand(120, 32), Rand(10, 33)], [[2, 3, 4, 5], [2, 1, 1, 5]]);
        Check("gate first", t => Ops.Mul(t[1], t[0]), [Rand(120, 34), Rand(10, 35)], [[2, 3, 4, 5], [2, 1, 1, 5]]);
    }

    [TestMethod]
    public void Elementwise_with_broadcasting()
    {
        Check("add bias", t => t[0] + t[1], [Rand(12, 12), Rand(4, 13)], [[3, 4], [4]]);
        Check("sub", t => t[0] - t[1], [Rand(12, 14), Rand(12, 15)], [[3, 4], [3, 4]]);
        Check("mul broadcast", t => t[0] * t[1], [Rand(12, 16), Rand(4, 17)], [[3, 4], [4]]);
        Check("div", t => t[0] / t[1], [Rand(12, 18), Rand(12, 19, 0.5f, 2f)], [[3, 4], [3, 4]]);
        Check("scalar sub first", t => t[1] - t[0], [Rand(12, 20), Rand(1, 21)], [[3, 4], []]);
        Check("column broadcast [3,1] against [3,4]", t => t[0] / t[1] - t[1], [Rand(12, 28), Rand(3, 29, 0.5f, 2f)], [[3, 4], [3, 1]]);
        Check("affine", t => (2.5f * t[0]) - 1f, [Rand(6, 22)], [[6]]);
        Check("square", t => Ops.Square(t[0]), [Rand(6, 23)], [[6]]);
        Check("exp", t => Ops.Exp(t[0]), [Rand(6, 24)], [[6]]);
        Check("log", t => Ops.Log(t[0]), [Rand(6, 25, 0.5f, 2f)], [[6]]);
        Check("sqrt", t => Ops.Sqrt(t[0]), [Rand(6, 26, 0.5f, 2f)], [[6]]);
        Check("abs", t => Ops.Abs(t[0]), [Rand(6, 27, avoidAbsBelow: 0.1f)], [[6]]);
    }

    [TestMethod]
    public void Shape_ops_slice_take_concat_reshape_gather()
    {
        Check("slice", t => Ops.Slice(t[0], 1, 1, 2), [Rand(24, 30)], [[2, 4, 3]]);
        Check("take time step", t => Ops.Take(t[0], 1, 2), [Rand(24, 31)], [[2, 4, 3]]);
        Check("concat", t => Ops.Concat([t[0], t[1]], -1), [Rand(6, 32), Rand(8, 33)], [[2, 3], [2, 4]]);
        Check("reshape", t => Ops.Reshape(t[0], 4, -1) * t[1], [Rand(12, 34), Rand(12, 35)], [[2, 6], [4, 3]]);
        Check("gather", t => Ops.Gather(t[0], t[1]), [Rand(15, 36), [4, 0, 4, 2]], [[5, 3], [4]], differentiable: [true, false]);
    }

    [TestMethod]
    public void Lstm_cell_all_six_inputs()
    {
        // x [3, 4], h [3, 5], c [3, 5], kernel [4, 20], recurrent [5, 20], bias [20]
        Check("lstm cell h", t => Ops.LstmCell(t[0], t[1], t[2], t[3], t[4], t[5]).H,
            [Rand(12, 40), Rand(15, 41), Rand(15, 42), Rand(80, 43), Rand(100, 44), Rand(20, 45)],
            [[3, 4], [3, 5], [3, 5], [4, 20], [5, 20], [20]]);
        Check("lstm cell c", t => Ops.LstmCell(t[0], t[1], t[2], t[3], t[4], t[5]).C,
            [Rand(12, 46), Rand(15, 47), Rand(15, 48), Rand(80, 49), Rand(100, 50), Rand(20, 51)],
            [[3, 4], [3, 5], [3, 5], [4, 20], [5, 20], [20]]);
        // Two steps chained, as in the char model's loop.
        Check("lstm two steps", t =>
        {
            var (h1, c1) = Ops.LstmCell(t[0], t[1], t[2], t[3], t[4], t[5]);
            return Ops.LstmCell(t[0], h1, c1, t[3], t[4], t[5]).H;
        }, [Rand(12, 52), Rand(15, 53), Rand(15, 54), Rand(80, 55), Rand(100, 56), Rand(20, 57)],
            [[3, 4], [3, 5], [3, 5], [4, 20], [5, 20], [20]]);
    }

    [TestMethod]
    public void Losses_sparse_and_categorical_crossentropy_mse_huber()
    {
        float[] labels = [2, 0, 3];
        Check("sparse ce logits", t => Ops.SparseCategoricalCrossentropy(t[1], t[0], fromLogits: true), [Rand(12, 60), labels], [[3, 4], [3]], differentiable: [true, false]);
        Check("sparse ce probs", t => Ops.SparseCategoricalCrossentropy(t[1], Ops.Softmax(t[0])), [Rand(12, 61), labels], [[3, 4], [3]], differentiable: [true, false]);
        float[] onehot = [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1];
        Check("categorical ce logits", t => Ops.CategoricalCrossentropy(t[1], t[0], fromLogits: true), [Rand(12, 62), onehot], [[3, 4], [3, 4]], differentiable: [true, false]);
        Check("categorical ce probs", t => Ops.CategoricalCrossentropy(t[1], Ops.Softmax(t[0])), [Rand(12, 63), onehot], [[3, 4], [3, 4]], differentiable: [true, false]);
        Check("mse", t => Ops.MeanSquaredError(t[1], t[0]), [Rand(12, 64), Rand(12, 65)], [[3, 4], [3, 4]]);
        Check("huber", t => Ops.Huber(t[1], t[0], 0.5f), [Rand(12, 66, -2, 2), Rand(12, 67)], [[3, 4], [3, 4]], eps: 1e-3f);
    }

    [TestMethod]
    public void Dropout_scales_kept_values_and_their_gradient()
    {
        Check("dropout", t => Ops.Dropout(t[0], 0.4f, seed: 99), [Rand(40, 70)], [[40]]);
        using var scope = TensorScope.Begin();
        var y = Ops.Dropout(Tensor.Ones(new Shape(10_000)), 0.25f, 5).ToArray();
        int kept = y.Count(v => v != 0);
        Assert.AreEqual(7500, kept, 200, "about 75% kept");
        Assert.IsTrue(y.Where(v => v != 0).All(v => Math.Abs(v - (1 / 0.75f)) < 1e-6), "kept values scaled by 1/(1-rate)");
    }

    /// <summary>y = 0.2·x whose recorded backward multiplies by <paramref name="backwardFactor"/> instead of 0.2.</summary>
    private static Tensor Scaling(Tensor x, float backwardFactor)
    {
        var y = GradientTape.NoRecord(() => Ops.Affine(x, 0.2f, 0f));
        GradientTape.Record([x], [y], (g, need) => [Ops.Affine(g[0]!, backwardFactor, 0f)]);
        return y;
    }

    [TestMethod]
    public void The_gradient_check_fails_a_backward_pass_off_by_ten_percent()
    {
        // Gradients of at most 0.2 (0.2 times the check's random weights in [−1, 1]): the per-element bound
        // 2e-2·max(1, |numeric|) alone accepts a 10% error there; the relative error of the whole gradient does not.
        float[] x = Rand(24, 5);
        Check("correct backward", t => Scaling(t[0], 0.2f), [x], [[24]]);
        var e = Assert.ThrowsExactly<AssertFailedException>(() => Check("backward × 1.1", t => Scaling(t[0], 0.22f), [x], [[24]]));
        StringAssert.Contains(e.Message, "relative error of the gradient");
    }
}
