using EdgeNet.Kernels.Reference;
using RefConv = EdgeNet.Kernels.Reference.Conv2D;
using RefDense = EdgeNet.Kernels.Reference.Dense;
using RefLosses = EdgeNet.Kernels.Reference.Losses;
using RefPool = EdgeNet.Kernels.Reference.Pool;
using SimdAct = EdgeNet.Kernels.Simd.Activations;
using SimdConv = EdgeNet.Kernels.Simd.Conv2D;
using SimdDense = EdgeNet.Kernels.Simd.Dense;
using SimdLosses = EdgeNet.Kernels.Simd.Losses;
using SimdPool = EdgeNet.Kernels.Simd.Pool;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// The training kernels of EdgeNet.Kernels (what the trainer's CPU backend runs and training on the board
/// will): each SIMD kernel against its scalar reference twin on the same inputs, and both against an
/// independent value — the adjoint identity ⟨A x, dy⟩ = ⟨x, Aᵀ dy⟩ in double for the linear maps,
/// central differences in double for the nonlinear ones, hand computations for the losses.
/// Run at every instruction-set level the host has (scripts/test.sh).
/// </summary>
[TestClass]
public sealed class BackwardGoldenKernelTests
{
    private static float[] Rand(int n, int seed, float lo = -1, float hi = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + ((hi - lo) * (float)r.NextDouble())).ToArray();
    }

    private static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    private static void Near(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.HasCount(expected.Length, actual, what);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}: element {i}");
        }
    }

    /// <summary>Conv/pool windows by the contract's Keras geometry: (H, W, C, KH, KW, stride, same).</summary>
    private static IEnumerable<(string Name, Window G)> Windows()
    {
        foreach (var (h, w, c, kh, kw, s, same) in new[]
        {
            (9, 11, 3, 3, 3, 1, true), (13, 9, 1, 5, 3, 2, false), (7, 5, 2, 2, 2, 2, true), (6, 6, 4, 1, 1, 1, false), (8, 7, 19, 3, 3, 2, true),
        })
        {
            var geo = Formats.Contract.WindowGeometry.Create(h, w, kh, kw, s, s, same);
            yield return ($"{h}x{w}x{c} k{kh}x{kw} s{s} {(same ? "same" : "valid")}", new Window(h, w, c, kh, kw, s, s, geo.PadTop, geo.PadLeft, geo.OutH, geo.OutW));
        }
    }

    [TestMethod]
    public unsafe void Conv2D_forward_and_both_backward_products_match_the_reference_and_are_adjoint()
    {
        const int Batch = 3, F = 6;
        foreach (var (name, g) in Windows())
        {
            int inSize = Batch * g.InH * g.InW * g.InC, outSize = Batch * g.OutH * g.OutW * F;
            float[] x = Rand(inSize, 1), w = Rand(g.Patch * F, 2), dy = Rand(outSize, 3), zero = new float[F];
            var refY = new float[outSize];
            fixed (float* xp = x, wp = w, bp = zero, yp = refY)
            {
                RefConv.F32(xp, Batch, g, wp, bp, F, 0, yp);
            }

            float[] refDx = new float[inSize], refDw = new float[g.Patch * F];
            RefConv.BackwardData(dy, Batch, g, w, F, refDx);
            RefConv.BackwardFilter(x, dy, Batch, g, F, refDw);

            // Scratch for one image only, then for the whole batch: the chunked and the single pass agree.
            foreach (int images in new[] { 1, Batch })
            {
                var cols = new float[SimdConv.ColsLength(g, images)];
                float[] y = new float[outSize], dx = new float[inSize], dw = new float[g.Patch * F];
                SimdConv.Forward(x, Batch, g, w, F, y, cols);
                SimdConv.BackwardData(dy, Batch, g, w, F, dx, cols);
                SimdConv.BackwardFilter(x, dy, Batch, g, F, dw, cols);
                Near(refY, y, 1e-5, $"{name} forward, scratch of {images}");
                Near(refDx, dx, 1e-5, $"{name} dx, scratch of {images}");
                Near(refDw, dw, 1e-5, $"{name} dw, scratch of {images}");
            }

            // y = conv(x, w) is linear in x and in w: ⟨y, dy⟩ = ⟨x, dx⟩ = ⟨w, dw⟩.
            double yDy = Dot(refY, dy);
            Assert.AreEqual(yDy, Dot(x, refDx), 1e-4 * Math.Max(1, Math.Abs(yDy)), $"{name}: backward data is the forward's adjoint");
            Assert.AreEqual(yDy, Dot(w, refDw), 1e-4 * Math.Max(1, Math.Abs(yDy)), $"{name}: backward filter is the forward's adjoint");
        }
    }

    [TestMethod]
    public void Conv2D_scratch_smaller_than_one_image_is_refused_naming_the_planner()
    {
        var g = Windows().First().G;
        var e = Assert.ThrowsExactly<ArgumentException>(() => SimdConv.Forward(new float[g.InH * g.InW * g.InC], 1, g, new float[g.Patch * 2], 2, new float[g.OutH * g.OutW * 2], new float[10]));
        StringAssert.Contains(e.Message, "Conv2D.ColsLength");
    }

    [TestMethod]
    public void Dense_backward_matches_the_reference_and_is_the_adjoint()
    {
        foreach (var (rows, k, n) in new[] { (1, 7, 3), (5, 127, 17), (50, 64, 10), (3, 1, 33) })
        {
            float[] x = Rand(rows * k, 4), w = Rand(k * n, 5), b = Rand(n, 6), dy = Rand(rows * n, 7);
            var y = new float[rows * n];
            SimdDense.Forward(x, rows, k, w, b, n, y);
            float[] refDx = new float[rows * k], refDw = new float[k * n], refDb = new float[n];
            RefDense.BackwardData(dy, rows, n, w, k, refDx);
            RefDense.BackwardWeights(x, dy, rows, k, n, refDw, refDb, accumulate: false);
            float[] dx = new float[rows * k], dw = new float[k * n], db = new float[n];
            SimdDense.BackwardData(dy, rows, n, w, k, dx);
            SimdDense.BackwardWeights(x, dy, rows, k, n, dw, db, accumulate: false);
            string name = $"dense {rows}x{k} -> {n}";
            Near(refDx, dx, 1e-5, name + " dx");
            Near(refDw, dw, 1e-5, name + " dw");
            Near(refDb, db, 1e-5, name + " db");

            // ⟨x·w, dy⟩ = ⟨x, dx⟩ = ⟨w, dw⟩, and db sums dy over the rows.
            double xwDy = Dot(y, dy) - Enumerable.Range(0, rows * n).Sum(i => (double)b[i % n] * dy[i]);
            Assert.AreEqual(xwDy, Dot(x, dx), 1e-4 * Math.Max(1, Math.Abs(xwDy)), name + ": dx adjoint");
            Assert.AreEqual(xwDy, Dot(w, dw), 1e-4 * Math.Max(1, Math.Abs(xwDy)), name + ": dw adjoint");
            Assert.AreEqual(dy.Where((_, i) => i % n == 0).Sum(v => (double)v), db[0], 1e-5, name + ": db[0]");

            // Accumulating adds to what is there (the second batch of a gradient-accumulation step).
            SimdDense.BackwardWeights(x, dy, rows, k, n, dw, db, accumulate: true);
            Near(refDw.Select(v => 2 * v).ToArray(), dw, 1e-5, name + " dw accumulated");
        }
    }

    [TestMethod]
    public void MaxPool_backward_routes_each_gradient_to_the_first_maximum()
    {
        // Hand example: one 4x4 channel, 2x2 windows, stride 2; the bottom windows hold ties (4 three times, 8 twice).
        float[] x = [1, 5, 5, 0, 2, 3, 1, 9, 4, 4, 7, 8, 0, 4, 8, 6];
        var g = new Window(4, 4, 1, 2, 2, 2, 2, 0, 0, 2, 2);
        float[] y = new float[4], dy = [10, 20, 30, 40];
        unsafe
        {
            fixed (float* xp = x, yp = y)
            {
                SimdPool.MaxPool(xp, 1, g, yp);
            }
        }

        CollectionAssert.AreEqual(new float[] { 5, 9, 4, 8 }, y);
        float[] expected = [0, 10, 0, 0, 0, 0, 0, 20, 30, 0, 0, 40, 0, 0, 0, 0];
        var dx = new float[16];
        RefPool.MaxPoolBackward(x, y, dy, dx, 1, g);
        CollectionAssert.AreEqual(expected, dx, "reference: ties go to the first tap (row-major), as TensorFlow's");
        Array.Fill(dx, 99f);
        SimdPool.MaxPoolBackward(x, y, dy, dx, g, 0, 1);
        CollectionAssert.AreEqual(expected, dx, "simd");
    }

    [TestMethod]
    public unsafe void MaxPool_backward_simd_matches_the_reference_and_conserves_the_gradient()
    {
        const int Batch = 2;
        foreach (var (name, g) in Windows())
        {
            // Values on a coarse grid so that ties happen inside windows.
            float[] x = Rand(Batch * g.InH * g.InW * g.InC, 8).Select(v => MathF.Round(v * 3)).ToArray();
            float[] y = new float[Batch * g.OutH * g.OutW * g.InC], dy = Rand(y.Length, 9);
            fixed (float* xp = x, yp = y)
            {
                SimdPool.MaxPool(xp, Batch, g, yp);
            }

            float[] refDx = new float[x.Length], dx = new float[x.Length];
            RefPool.MaxPoolBackward(x, y, dy, refDx, Batch, g);
            SimdPool.MaxPoolBackward(x, y, dy, dx, g, 0, 1);
            SimdPool.MaxPoolBackward(x, y, dy, dx, g, 1, 1);
            CollectionAssert.AreEqual(refDx, dx, name);
            Assert.AreEqual(dy.Sum(v => (double)v), refDx.Sum(v => (double)v), 1e-4, $"{name}: every output's gradient lands once");
        }
    }

    [TestMethod]
    [DataRow(1, DisplayName = "relu")]
    [DataRow(2, DisplayName = "tanh")]
    [DataRow(3, DisplayName = "sigmoid")]
    [DataRow(0, DisplayName = "linear")]
    public void Activation_backward_matches_central_differences_in_double(int act)
    {
        Func<double, double> f = act switch
        {
            1 => v => Math.Max(v, 0),
            2 => Math.Tanh,
            3 => v => 1 / (1 + Math.Exp(-v)),
            _ => v => v,
        };

        // 37 values: a vector tail at every width; none within 1e-3 of relu's kink.
        float[] x = Rand(37, 10, -3, 3).Select(v => Math.Abs(v) < 1e-3f ? 0.5f : v).ToArray(), dy = Rand(37, 11);
        float[] y = new float[37], dx = new float[37], refDx = new float[37];
        SimdAct.Apply(act, x, y);
        SimdAct.Backward(act, y, dy, dx);
        Activations.Backward(act, y, dy, refDx);
        for (int i = 0; i < x.Length; i++)
        {
            const double H = 1e-6;
            double numeric = dy[i] * (f(x[i] + H) - f(x[i] - H)) / (2 * H);
            Assert.AreEqual(numeric, refDx[i], 1e-5 * Math.Max(1, Math.Abs(numeric)), $"act {act}, reference, x = {x[i]}");
            Assert.AreEqual(numeric, dx[i], 1e-5 * Math.Max(1, Math.Abs(numeric)), $"act {act}, simd, x = {x[i]}");
        }
    }

    [TestMethod]
    public void Losses_forward_equal_hand_computations()
    {
        // Sparse CE from logits [1, 2, 3], label 2: log(e + e² + e³) − 3 = 0.4076059644...; from probabilities [0.2, 0.7, 0.1], label 1: −ln 0.7.
        float[] logits = [1, 2, 3, 1, 2, 3], labels = [2, 0], loss = new float[2], probs = new float[6];
        foreach (var (name, ce) in new (string, Action)[]
        {
            ("reference", () => RefLosses.SparseCrossEntropy(logits, labels, loss, probs, 2, 3, true, 1e-7f)),
            ("simd", () => SimdLosses.SparseCrossEntropy(logits, labels, loss, probs, 2, 3, true, 1e-7f)),
        })
        {
            ce();
            Assert.AreEqual(0.40760596, loss[0], 1e-6, name);
            Assert.AreEqual(2.40760596, loss[1], 1e-6, name + ": label 0");
            Assert.AreEqual(Math.Exp(3) / (Math.E + Math.Exp(2) + Math.Exp(3)), probs[2], 1e-6, name + ": the softmax kept for backward");
        }

        float[] p = [0.2f, 0.7f, 0.1f], one = new float[1];
        RefLosses.SparseCrossEntropy(p, [1f], one, default, 1, 3, false, 1e-7f);
        Assert.AreEqual(-Math.Log(0.7), one[0], 1e-6);
        SimdLosses.SparseCrossEntropy(p, [1f], one, default, 1, 3, false, 1e-7f);
        Assert.AreEqual(-Math.Log(0.7), one[0], 1e-6);

        // MSE of [1, 2] against [0, 4]: (1 + 4) / 2. Huber (δ = 1) of errors [0.5, −3]: (0.125 + (3 − 0.5)) / 2.
        float[] pred = [1, 2], target = [0, 4];
        RefLosses.MeanSquaredError(pred, target, one, 1, 2);
        Assert.AreEqual(2.5f, one[0]);
        SimdLosses.MeanSquaredError(pred, target, one, 1, 2);
        Assert.AreEqual(2.5f, one[0], 1e-6);
        float[] hp = [0.5f, 1], ht = [0, 4];
        RefLosses.Huber(hp, ht, one, 1, 2, 1f);
        Assert.AreEqual(1.3125f, one[0]);
        SimdLosses.Huber(hp, ht, one, 1, 2, 1f, new float[2]);
        Assert.AreEqual(1.3125f, one[0]);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SimdLosses.SparseCrossEntropy(logits, [3f, 0f], loss, probs, 2, 3, true, 1e-7f));
        StringAssert.Contains(e.Message, "label 3 at row 0 is not a class index in 0..2");
    }

    [TestMethod]
    public void Losses_backward_match_central_differences_in_double()
    {
        const int Rows = 3, Cols = 5;
        float[] input = Rand(Rows * Cols, 12, -2, 2), target = Rand(Rows * Cols, 13, -2, 2), labels = [4, 0, 2], dloss = [0.5f, -1.25f, 2f];
        float[] probs = new float[Rows * Cols], loss = new float[Rows];

        // Each loss in double, per row, as the independent forward.
        double Ce(double[] r, int label) => Math.Log(r.Sum(Math.Exp)) - r[label];
        double Mse(double[] r, int row) => r.Select((v, c) => Math.Pow(v - target[(row * Cols) + c], 2)).Average();
        double Hub(double[] r, int row) => r.Select((v, c) =>
        {
            double a = Math.Abs(v - target[(row * Cols) + c]);
            return a <= 1 ? 0.5 * a * a : a - 0.5;
        }).Average();

        var cases = new (string Name, Func<double[], int, double> F, Action<float[]> Ref, Action<float[]> Simd)[]
        {
            ("sparse CE from logits", (r, row) => Ce(r, (int)labels[row]),
                d => { RefLosses.SparseCrossEntropy(input, labels, loss, probs, Rows, Cols, true, 1e-7f); RefLosses.SparseCrossEntropyBackward(input, probs, labels, dloss, d, Rows, Cols, true, 1e-7f); },
                d => { SimdLosses.SparseCrossEntropy(input, labels, loss, probs, Rows, Cols, true, 1e-7f); SimdLosses.SparseCrossEntropyBackward(input, probs, labels, dloss, d, Rows, Cols, true, 1e-7f); }),
            ("mse", Mse, d => RefLosses.MeanSquaredErrorBackward(input, target, dloss, d, Rows, Cols), d => SimdLosses.MeanSquaredErrorBackward(input, target, dloss, d, Rows, Cols)),
            ("huber", Hub, d => RefLosses.HuberBackward(input, target, dloss, d, Rows, Cols, 1f), d => SimdLosses.HuberBackward(input, target, dloss, d, Rows, Cols, 1f)),
        };

        foreach (var (name, f, reference, simd) in cases)
        {
            float[] refD = new float[Rows * Cols], simdD = new float[Rows * Cols];
            reference(refD);
            simd(simdD);
            for (int i = 0; i < Rows * Cols; i++)
            {
                int row = i / Cols;
                double[] r = Enumerable.Range(0, Cols).Select(c => (double)input[(row * Cols) + c]).ToArray();
                const double H = 1e-6;
                r[i % Cols] += H;
                double up = f(r, row);
                r[i % Cols] -= 2 * H;
                double numeric = dloss[row] * (up - f(r, row)) / (2 * H);
                Assert.AreEqual(numeric, refD[i], 1e-5 * Math.Max(1, Math.Abs(numeric)), $"{name}, reference, element {i}");
                Assert.AreEqual(numeric, simdD[i], 1e-5 * Math.Max(1, Math.Abs(numeric)), $"{name}, simd, element {i}");
            }
        }
    }
}
