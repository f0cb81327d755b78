using System.Numerics.Tensors;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Dense for training, forward and backward side by side, on the blocked GEMM (<see cref="Gemm.Sgemm"/>);
/// inference runs the packed-once GEMM (<see cref="PackedGemm"/>) with its fused bias and activation.
/// </summary>
internal static class Dense
{
    // x: [rows, k]  w: [k, n]  b: [n]  →  y: [rows, n] = x · w + b (the activation is its own op)
    public static void Forward(ReadOnlySpan<float> x, int rows, int k, ReadOnlySpan<float> w, ReadOnlySpan<float> b, int n, Span<float> y)
    {
        Gemm.Sgemm(false, false, rows, n, k, 1f, x, k, w, n, 0f, y, n);
        AddBias(y, b, y, rows, n);
    }

    // x, y: [rows, cols]  bias: [cols]
    public static void AddBias(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int rows, int cols)
    {
        var b = bias[..cols];
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(x.Slice(r * cols, cols), b, y.Slice(r * cols, cols));
        }
    }

    // dy: [rows, n]  w: [k, n]  →  dx: [rows, k] = dy · wᵀ
    public static void BackwardData(ReadOnlySpan<float> dy, int rows, int n, ReadOnlySpan<float> w, int k, Span<float> dx) =>
        Gemm.Sgemm(false, true, rows, k, n, 1f, dy, n, w, n, 0f, dx, k);

    // x: [rows, k]  dy: [rows, n]  →  dw: [k, n] = xᵀ · dy, db: [n] = Σ_rows dy (added to when accumulate)
    public static void BackwardWeights(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, int k, int n, Span<float> dw, Span<float> db, bool accumulate)
    {
        Gemm.Sgemm(true, false, k, n, rows, 1f, x, k, dy, n, accumulate ? 1f : 0f, dw, n);
        BiasGrad(dy, db, rows, n, accumulate);
    }

    // dy: [rows, cols]  →  db: [cols] = Σ_rows dy (added to when accumulate)
    public static void BiasGrad(ReadOnlySpan<float> dy, Span<float> db, int rows, int cols, bool accumulate)
    {
        var g = db[..cols];
        if (!accumulate)
        {
            g.Clear();
        }

        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(g, dy.Slice(r * cols, cols), g);
        }
    }
}
