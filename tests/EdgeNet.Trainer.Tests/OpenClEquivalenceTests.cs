using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Backends.Cpu;
using EdgeNet.Trainer.Backends.OpenCL;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Losses;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;
using static EdgeNet.Trainer.Tests.GradientCheck;

namespace EdgeNet.Trainer.Tests;

/// <summary>
/// Runs a test where an OpenCL platform exists; on a developer machine without one it is skipped
/// with the loader's reason. Under CI=true (which installs PoCL) the tests always run, so a missing
/// platform fails them with that reason instead of passing CI by skipping.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
internal sealed class OpenClAvailableAttribute : ConditionBaseAttribute
{
    public OpenClAvailableAttribute()
        : base(ConditionMode.Include)
    {
    }

    public override bool IsConditionMet
    {
        get
        {
            bool found = OpenClDevices.List().Count > 0;
            IgnoreMessage = $"no OpenCL platform on this machine ({OpenClDevices.UnavailableReason}): install pocl-opencl-icd (scripts/setup.sh does)";
            return found || IsCi;
        }
    }

    internal static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public override string GroupName => "OpenCL";
}

/// <summary>
/// In the style of ggml's test-backend-ops: every op's forward and backward on OpenCL against the
/// CPU backend on the same random inputs, over odd shapes, strides and paddings.
/// </summary>
[TestClass]
[OpenClAvailable]
public sealed class OpenClEquivalenceTests
{
    private static OpenClBackend? s_cl;
    private static OpenClBackend? s_gpuKernels;

    private static OpenClBackend Cl => s_cl ??= OpenClBackend.Create();

    [ClassInitialize]
    public static void RequirePlatform(TestContext _)
    {
        // Reached without a platform only under CI=true: fail with the loader's reason, not a skip.
        if (OpenClDevices.List().Count == 0)
        {
            Assert.Fail($"CI requires an OpenCL platform (PoCL) and none loads: {OpenClDevices.UnavailableReason}");
        }
    }

    /// <summary>The first device running the other kernel family (the GPU variants on PoCL).</summary>
    private static OpenClBackend Other => s_gpuKernels ??= new OpenClBackend(OpenClDevices.List()[0]) { GpuKernels = !Cl.GpuKernels };

    [ClassCleanup]
    public static void Cleanup()
    {
        s_cl?.Dispose();
        s_gpuKernels?.Dispose();
    }

    private static (float[] Y, float[][] Grads) Run(IBackend be, Func<Tensor[], Tensor> f, float[][] values, int[][] shapes, bool[]? diff)
    {
        using var device = Device.Use(be);
        var vars = values.Select((v, i) => new Variable($"x{i}", Tensor.FromArray(v, shapes[i]))).ToArray();
        using var scope = TensorScope.Begin();
        using var tape = new GradientTape();
        var y = f(vars.Select(v => v.Value).ToArray());
        var rng = new Random(77);
        var r = Tensor.FromArray(Enumerable.Range(0, y.Size).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), y.Shape);
        var loss = Ops.ReduceSum(Ops.Mul(y, r));
        var grads = tape.Gradient(loss, vars);
        var result = (y.ToArray(), grads.Select((g, i) => diff is not null && !diff[i] ? [] : g?.ToArray() ?? new float[values[i].Length]).ToArray());
        foreach (var v in vars)
        {
            v.Value.Dispose();
        }

        return result;
    }

    private static void Same(string what, Func<Tensor[], Tensor> f, float[][] values, int[][] shapes, double tol = 1e-4, bool[]? diff = null, OpenClBackend? backend = null)
    {
        var cpu = Run(CpuBackend.Instance, f, values, shapes, diff);
        var cl = Run(backend ?? Cl, f, values, shapes, diff);
        Close(what + " forward", cpu.Y, cl.Y, tol);
        for (int k = 0; k < values.Length; k++)
        {
            Close($"{what} d/dinput{k}", cpu.Grads[k], cl.Grads[k], tol);
        }
    }

    private static void Close(string what, float[] expected, float[] actual, double tol)
    {
        Assert.HasCount(expected.Length, actual, what);
        double scale = Math.Max(1, expected.Length == 0 ? 1 : expected.Max(v => Math.Abs(v)));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], tol * scale, $"{what} [{i}]");
        }
    }

    [TestMethod]
    public void Gemm_every_transpose_and_odd_shapes()
    {
        foreach (int m in new[] { 1, 3, 17, 33, 127 })
        {
            foreach (int n in new[] { 1, 17, 33 })
            {
                foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
                {
                    int k = 127 - m + 3;
                    Same($"matmul {m}x{n}x{k} {ta}/{tb}", t => Ops.MatMul(t[0], t[1], ta, tb),
                        [Rand(m * k, m), Rand(k * n, n)], [ta ? [k, m] : [m, k], tb ? [n, k] : [k, n]], 1e-4);
                }
            }
        }
    }

    [TestMethod]
    public void The_other_kernel_family_matches_too()
    {
        // Whichever family the device picked, the other one (on PoCL: the GPU variants, the
        // local-memory tiled GEMM and the im2col/col2im convolutions) runs on the same device here.
        var other = Other;
        Assert.AreNotEqual(Cl.GpuKernels, other.GpuKernels);
        foreach (var (m, n) in new[] { (1, 17), (17, 33), (33, 1), (127, 17) })
        {
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                int k = 130 - m;
                Same($"{(other.GpuKernels ? "gpu" : "cpu")} kernels matmul {m}x{n}x{k} {ta}/{tb}", t => Ops.MatMul(t[0], t[1], ta, tb),
                    [Rand(m * k, m), Rand(k * n, n)], [ta ? [k, m] : [m, k], tb ? [n, k] : [k, n]], 1e-4, backend: other);
            }
        }

        foreach (var (s, same) in new[] { (1, true), (2, false) })
        {
            Same($"other kernels conv2d s{s}", t => Ops.Conv2D(t[0], t[1], t[2], s, s, same, Activation.Relu),
                [Rand(2 * 9 * 7 * 16, 7), Rand(5 * 3 * 16 * 32, 8), Rand(32, 9)], [[2, 9, 7, 16], [5, 3, 16, 32], [32]], backend: other);
        }

        var ties = Enumerable.Range(0, 2 * 7 * 5 * 32).Select(i => (i * 7919 % 13) * 0.25f).ToArray();
        Same("other kernels maxpool 2x2", t => Ops.MaxPool2D(t[0], 2, 2, 2, 2, false), [ties], [[2, 7, 5, 32]], backend: other);
        Same("other kernels dense", t => Ops.Dense(t[0], t[1], t[2], Activation.Relu), [Rand(17 * 33, 1), Rand(33 * 32, 2), Rand(32, 3)], [[17, 33], [33, 32], [32]], backend: other);
    }

    [TestMethod]
    public void Hard_sigmoid_hard_swish_silu_and_a_channel_gate()
    {
        var x = Rand(2 * 5 * 3 * 7, 40).Select(v => v * 5f).ToArray();
        Same("hard_sigmoid", t => Ops.HardSigmoid(t[0]), [x], [[2, 5, 3, 7]]);
        Same("hard_swish", t => Ops.HardSwish(t[0]), [x], [[2, 5, 3, 7]]);
        Same("silu", t => Ops.Silu(t[0]), [x], [[2, 5, 3, 7]]);
        Same("gate", t => Ops.Mul(t[0], t[1]), [x, Rand(14, 41)], [[2, 5, 3, 7], [2, 1, 1, 7]]);
        Same("channel shuffle", t => Ops.ChannelShuffle(t[0], 2), [Rand(2 * 3 * 8, 42)], [[2, 3, 8]]);
        Same("channel slice", t => Ops.ChannelSlice(t[0], 1, 5), [Rand(2 * 3 * 8, 43)], [[2, 3, 8]]);
    }

    [TestMethod]
    public void Dense_with_activations_and_bias()
    {
        foreach (var act in new[] { Activation.Linear, Activation.Relu, Activation.Sigmoid, Activation.Tanh })
        {
            Same($"dense {act}", t => Ops.Dense(t[0], t[1], t[2], act), [Rand(17 * 33, 1), Rand(33 * 3, 2), Rand(3, 3)], [[17, 33], [33, 3], [3]]);
        }
    }

    [TestMethod]
    public void Conv2D_strides_and_paddings()
    {
        foreach (var (s, same) in new[] { (1, true), (1, false), (2, true), (2, false) })
        {
            Same($"conv2d s{s} {(same ? "same" : "valid")}", t => Ops.Conv2D(t[0], t[1], t[2], s, s, same, Activation.Relu),
                [Rand(3 * 9 * 7 * 3, 4), Rand(3 * 3 * 3 * 5, 5), Rand(5, 6)], [[3, 9, 7, 3], [3, 3, 3, 5], [5]]);

            // 16 input and 32 output channels take the direct gradient kernels (conv_dw, conv_dx);
            // width 7 leaves a partial group of four pixels, the 5x3 kernel an uneven window.
            Same($"conv2d direct grads s{s} {(same ? "same" : "valid")}", t => Ops.Conv2D(t[0], t[1], t[2], s, s, same, Activation.Relu),
                [Rand(2 * 9 * 7 * 16, 7), Rand(5 * 3 * 16 * 32, 8), Rand(32, 9)], [[2, 9, 7, 16], [5, 3, 16, 32], [32]]);

            // Few input channels and 16 outputs: the per-(kh, kw, ci) weight gradient (conv_dw_c).
            Same($"conv2d few-channel dW s{s} {(same ? "same" : "valid")}", t => Ops.Conv2D(t[0], t[1], t[2], s, s, same, Activation.Relu),
                [Rand(3 * 11 * 9 * 2, 10), Rand(5 * 5 * 2 * 16, 11), Rand(16, 12)], [[3, 11, 9, 2], [5, 5, 2, 16], [16]]);
        }
    }

    [TestMethod]
    public void MaxPool_softmax_reductions_and_elementwise()
    {
        var distinct = Enumerable.Range(0, 2 * 7 * 5 * 3).Select(i => (float)(i * 37 % 210) * 0.01f).ToArray();
        Same("maxpool 2x2", t => Ops.MaxPool2D(t[0], 2, 2, 2, 2, false), [distinct], [[2, 7, 5, 3]]);
        Same("maxpool 3x3 s1 same", t => Ops.MaxPool2D(t[0], 3, 3, 1, 1, true), [distinct], [[2, 7, 5, 3]]);

        // 32 channels take the 16-wide kernels; values in steps of 0.25 make ties inside windows,
        // where the gradient goes to the first maximal tap only (as on the CPU).
        var ties = Enumerable.Range(0, 2 * 7 * 5 * 32).Select(i => (i * 7919 % 13) * 0.25f).ToArray();
        Same("maxpool 2x2 16-wide with ties", t => Ops.MaxPool2D(t[0], 2, 2, 2, 2, false), [ties], [[2, 7, 5, 32]]);
        Same("maxpool 3x3 s2 same 16-wide", t => Ops.MaxPool2D(t[0], 3, 3, 2, 2, true), [ties], [[2, 7, 5, 32]]);
        Same("softmax", t => Ops.Softmax(t[0]), [Rand(3 * 17, 7)], [[3, 17]]);
        Same("reduce_sum", t => Ops.ReduceSum(t[0], 1), [Rand(2 * 3 * 5, 8)], [[2, 3, 5]]);
        Same("reduce_mean", t => Ops.ReduceMean(t[0]), [Rand(33, 9)], [[33]]);
        Same("reduce_max", t => Ops.ReduceMax(t[0], -1), [distinct], [[6, 35]]);
        Same("broadcast ops", t => (t[0] * t[1]) - (t[0] / t[2]) + 2f, [Rand(12, 10), Rand(4, 11), Rand(12, 12, 0.5f, 2)], [[3, 4], [4], [3, 4]]);
        Same("unary", t => Ops.Exp(t[0]) + Ops.Square(t[0]) + Ops.Sqrt(Ops.Abs(t[0])), [Rand(17, 13, avoidAbsBelow: 0.1f)], [[17]]);
        Same("log", t => Ops.Log(t[0]), [Rand(17, 14, 0.5f, 2f)], [[17]]);
    }

    [TestMethod]
    public void MobileNet_operators_depthwise_batch_norm_pooling_padding_relu6()
    {
        foreach (var (s, same, m, c) in new[] { (1, true, 1, 16), (2, false, 1, 16), (2, true, 1, 11), (1, true, 2, 3) })
        {
            // 16 channels take the 8-wide depthwise kernel, 11 and 3 (multiplier 2) the general one.
            Same($"depthwise s{s} {(same ? "same" : "valid")} m{m} c{c}", t => Ops.DepthwiseConv2D(t[0], t[1], t[2], s, s, same, Activation.Relu6),
                [Rand(3 * 9 * 7 * c, 30, -3, 3), Rand(3 * 3 * c * m, 31), Rand(c * m, 32)], [[3, 9, 7, c], [3, 3, c, m], [c * m]], tol: 2e-4);
        }

        foreach (bool training in new[] { true, false })
        {
            // 600 rows per channel: several row blocks of the device's partial sums.
            // The moving statistics live on the backend that runs the op: made inside, from the same values on each.
            Same($"batch norm training={training}", t => Ops.BatchNorm(t[0], t[1], t[2],
                    new Variable("m", Tensor.FromArray(Rand(5, 33), 5), trainable: false), new Variable("v", Tensor.FromArray(Rand(5, 34, 0.5f, 2f), 5), trainable: false), 1e-3f, 0.9f, training),
                [Rand(4 * 10 * 15 * 5, 35, 2, 6), Rand(5, 36, 0.5f, 1.5f), Rand(5, 37)], [[4, 10, 15, 5], [5], [5]], tol: 2e-4);
        }

        Same("avg pool 3x3 s1 same", t => Ops.AvgPool2D(t[0], 3, 3, 1, 1, true), [Rand(2 * 7 * 5 * 3, 38)], [[2, 7, 5, 3]]);
        Same("avg pool 2x2 s2 valid", t => Ops.AvgPool2D(t[0], 2, 2, 2, 2, false), [Rand(2 * 7 * 5 * 3, 39)], [[2, 7, 5, 3]]);
        Same("global average pool", t => Ops.GlobalAvgPool2D(t[0]), [Rand(2 * 7 * 5 * 3, 40)], [[2, 7, 5, 3]]);
        Same("zero pad", t => Ops.ZeroPad2D(t[0], 1, 0, 0, 2), [Rand(2 * 7 * 5 * 3, 41)], [[2, 7, 5, 3]]);
        Same("relu6", t => Ops.Relu6(t[0]), [Rand(40, 42, -3, 9)], [[40]]);
    }

    [TestMethod]
    public void Losses_slices_embedding_and_lstm()
    {
        float[] labels = [2, 0, 16];
        Same("sparse ce logits", t => Ops.SparseCategoricalCrossentropy(t[1], t[0], fromLogits: true), [Rand(3 * 17, 15), labels], [[3, 17], [3]], diff: [true, false]);
        Same("sparse ce probs", t => Ops.SparseCategoricalCrossentropy(t[1], Ops.Softmax(t[0])), [Rand(3 * 17, 16), labels], [[3, 17], [3]], diff: [true, false]);
        Same("one-hot + slice + concat", t => Ops.Concat([Ops.Take(Ops.OneHot(t[0], 5), 1, 1), t[1]]), [[1, 4, 0, 2, 3, 3], Rand(6, 17)], [[3, 2], [3, 2]], diff: [false, true]);
        Same("gather", t => Ops.Gather(t[0], t[1]), [Rand(7 * 3, 18), [6, 0, 6, 2]], [[7, 3], [4]], diff: [true, false]);
        Same("lstm cell", t => Ops.LstmCell(t[0], t[1], t[2], t[3], t[4], t[5]).H,
            [Rand(3 * 4, 19), Rand(3 * 5, 20), Rand(3 * 5, 21), Rand(4 * 20, 22), Rand(5 * 20, 23), Rand(20, 24)],
            [[3, 4], [3, 5], [3, 5], [4, 20], [5, 20], [20]]);
        Same("dropout", t => Ops.Dropout(t[0], 0.3f, 42), [Rand(33, 25)], [[33]]);
    }

    [TestMethod]
    public void A_kernel_that_does_not_compile_reports_the_build_log()
    {
        var e = Assert.ThrowsExactly<OpenClException>(() => new OpenClBackend(OpenClDevices.List()[0], "__kernel void broken(__global float* x) { x[0] = undefined_name; }").Dispose());
        StringAssert.Contains(e.Message, "clBuildProgram failed");
        StringAssert.Contains(e.Message, "build log");
        StringAssert.Contains(e.Message, "undefined_name");
    }

    [TestMethod]
    public void Optimizer_updates_and_nan_detection_match()
    {
        // 33 elements run the scalar kernels, 48 the 16-wide ones.
        foreach (int n in new[] { 33, 48 })
        {
            foreach (Optimizer opt in new Optimizer[] { new Adam(0.01f), new SGD(0.1f, momentum: 0.9f, nesterov: true) })
            {
                float[] Step(IBackend be, Optimizer o)
                {
                    using var d = Device.Use(be);
                    var v = new Variable("w", Tensor.FromArray(Rand(n, 26), n));
                    using var scope = TensorScope.Begin();
                    o.ApplyGradients([(Tensor.FromArray(Rand(n, 27), n), v)]);
                    o.ApplyGradients([(Tensor.FromArray(Rand(n, 28), n), v)]);
                    return v.Numpy();
                }

                Optimizer Fresh() => opt is Adam ? new Adam(0.01f) : new SGD(0.1f, momentum: 0.9f, nesterov: true);
                Close($"{opt.Name} n={n}", Step(CpuBackend.Instance, Fresh()), Step(Cl, Fresh()), 1e-6);
            }
        }

        using var dev = Device.Use(Cl);
        using var s = TensorScope.Begin();
        var bad = Tensor.FromArray([1f, float.NaN, float.PositiveInfinity, 3f], 4);
        Assert.AreEqual(2, Cl.CountNonFinite(bad.Storage, 4));

        // Several tensors counted at once, one of them 16-wide: NaN, +inf and -inf each count.
        var wide = Enumerable.Range(0, 32).Select(i => i switch { 3 => float.NaN, 17 => float.NegativeInfinity, 31 => float.PositiveInfinity, _ => i * 0.5f }).ToArray();
        var w = Tensor.FromArray(wide, 32);
        var fine = Tensor.FromArray(Rand(16, 29), 16);
        CollectionAssert.AreEqual(new[] { 2, 3, 0 }, Cl.CountNonFinite([(bad.Storage, 4), (w.Storage, 32), (fine.Storage, 16)]));
    }

    [TestMethod]
    public void Squared_norms_for_gradient_clipping_match_the_cpu()
    {
        // The OpenCL backend takes IBackend's default (square + reduce with its own kernels, one read-back);
        // the CPU backend sums in place. Sizes: a 16-wide multiple, an odd one, a large gradient.
        int[] sizes = [32, 33, 65_536];
        var host = sizes.Select((n, i) => Rand(n, 40 + i)).ToArray();
        using var dev = Device.Use(Cl);
        using var s = TensorScope.Begin();
        var onDevice = host.Select(h => Tensor.FromArray(h, h.Length)).ToList();
        double[] cl = ((IBackend)Cl).SquaredNorms(onDevice.Select(t => (t.Storage, t.Size)).ToList());
        for (int i = 0; i < sizes.Length; i++)
        {
            double expected = host[i].Sum(v => (double)v * v);
            Assert.AreEqual(expected, cl[i], 1e-5 * expected, $"OpenCL Σx² of {sizes[i]} values");
            var cpu = CpuBackend.Instance.Allocate(sizes[i]);
            CpuBackend.Instance.Upload(host[i], cpu);
            Assert.AreEqual(expected, CpuBackend.Instance.SquaredNorms([(cpu, sizes[i])])[0], 1e-5 * expected, $"CPU Σx² of {sizes[i]} values");
            cpu.Release();
        }
    }

    [TestMethod]
    public void Mlp_and_cnn_training_losses_agree_step_by_step()
    {
        var data = EdgeNet.Formats.Data.Datasets.LoadDigits().Train;
        foreach (var (name, steps, batch) in new[] { ("mlp", 200, 50), ("cnn", 12, 8) })
        {
            float[][]? initial = null;
            float[] Train(IBackend be)
            {
                using var d = Device.Use(be);
                Model model = name == "mlp" ? new MLP() : new CNN();
                model.Compile(new Adam(1e-3f), new SparseCategoricalCrossentropy());
                model.Predict(Tensor.Zeros(new Shape(1, 28, 28, 1)));

                // The same initial weights on both devices, from this test's own generator (Keras' Glorot kernels, zero
                // biases): the process-wide one is shared with test classes running at the same time.
                var init = new Random(name == "mlp" ? 311 : 312);
                initial ??= model.Variables.Select(v => v.Shape.Rank >= 2 ? Initializer.GlorotUniform.Generate(v.Shape, init) : new float[v.Shape.Size]).ToArray();
                for (int i = 0; i < initial.Length; i++)
                {
                    model.Variables[i].Assign(initial[i]);
                }

                var losses = new float[steps];
                for (int s = 0; s < steps; s++)
                {
                    int start = (s * batch) % (data.Count - batch);
                    using var scope = TensorScope.Begin();
                    var x = Tensor.FromArray(data.Images.AsSpan(start * 784, batch * 784), new Shape(batch, 28, 28, 1));
                    var y = Tensor.FromArray(data.LabelsAsFloat().AsSpan(start, batch), new Shape(batch));
                    losses[s] = model.TrainOnBatch(x, y);
                }

                return losses;
            }

            var cpu = Train(CpuBackend.Instance);
            var cl = Train(Cl);
            for (int s = 0; s < steps; s++)
            {
                Assert.AreEqual(cpu[s], cl[s], 2e-3 * Math.Max(1, Math.Abs(cpu[s])), $"{name} loss at step {s}");
            }

            Assert.IsLessThan(cpu[0], cpu[^1], $"{name} learns");
        }
    }
}
