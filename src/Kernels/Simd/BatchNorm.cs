using System.Numerics;
using System.Runtime.CompilerServices;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Batch normalization over the last axis with channels across vector lanes, each pass over a range of
/// rows so the caller can split a batch between threads: the per-channel sums of the statistics and of
/// the backward pass (float within a chunk of rows, double across chunks; the statistics are taken
/// about a shift near the mean, so the variance does not cancel), the normalization with an optional
/// fused activation, and the backward pass as one affine map per channel. The reference twin is
/// <see cref="Reference.BatchNorm"/>.
/// </summary>
internal static unsafe class BatchNorm
{
    /// <summary>Rows summed in float before the sums move to double.</summary>
    private const int ChunkRows = 64;

    /// <summary>Scratch floats <see cref="Sums"/> and <see cref="BackwardSums"/> need for <paramref name="c"/> channels.</summary>
    public static int ScratchFloats(int c) => 2 * c;

    // x: [rows, c]  shift: [c]  →  adds Σ(x − shift) and Σ(x − shift)² of each channel into sum, sumSq: [c] (double); tmp: [2c]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sums(float* x, int rows, int c, float* shift, double* sum, double* sumSq, float* tmp)
    {
        float* s1 = tmp, s2 = tmp + c;
        int w = Vector<float>.Count;
        for (int r0 = 0; r0 < rows; r0 += ChunkRows)
        {
            int r1 = Math.Min(rows, r0 + ChunkRows);
            new Span<float>(tmp, 2 * c).Clear();
            for (int r = r0; r < r1; r++)
            {
                float* xr = x + ((long)r * c);
                int j = 0;
                for (; j <= c - w; j += w)
                {
                    var d = Unsafe.ReadUnaligned<Vector<float>>(xr + j) - Unsafe.ReadUnaligned<Vector<float>>(shift + j);
                    Unsafe.WriteUnaligned(s1 + j, Unsafe.ReadUnaligned<Vector<float>>(s1 + j) + d);
                    Unsafe.WriteUnaligned(s2 + j, Vector.FusedMultiplyAdd(d, d, Unsafe.ReadUnaligned<Vector<float>>(s2 + j)));
                }

                for (; j < c; j++)
                {
                    float d = xr[j] - shift[j];
                    s1[j] += d;
                    s2[j] = MathF.FusedMultiplyAdd(d, d, s2[j]);
                }
            }

            for (int j = 0; j < c; j++)
            {
                sum[j] += s1[j];
                sumSq[j] += s2[j];
            }
        }
    }

    /// <summary>The mean and biased variance of <paramref name="rows"/> rows from the shifted sums of <see cref="Sums"/>.</summary>
    public static void Moments(double* sum, double* sumSq, float* shift, int rows, int c, float* mean, float* variance)
    {
        for (int j = 0; j < c; j++)
        {
            double m = sum[j] / rows;
            mean[j] = (float)(shift[j] + m);
            variance[j] = (float)Math.Max(0, (sumSq[j] / rows) - (m * m));
        }
    }

    // x, y: [rows, c]  scale, shift: [c]  →  y = act(x · scale + shift); act 0 linear, 1 relu, 4 relu6 (in place allowed)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(float* x, int rows, int c, float* scale, float* shift, int act, float* y)
    {
        int w = Vector<float>.Count;
        var lo = act is 1 or 4 ? Vector<float>.Zero : new Vector<float>(float.NegativeInfinity);
        var hi = act == 4 ? new Vector<float>(6f) : new Vector<float>(float.PositiveInfinity);
        for (long r = 0; r < rows; r++)
        {
            float* xr = x + (r * c), yr = y + (r * c);
            int j = 0;
            for (; j <= c - w; j += w)
            {
                var v = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xr + j), Unsafe.ReadUnaligned<Vector<float>>(scale + j), Unsafe.ReadUnaligned<Vector<float>>(shift + j));
                Unsafe.WriteUnaligned(yr + j, Vector.Min(Vector.Max(v, lo), hi));
            }

            for (; j < c; j++)
            {
                yr[j] = Reference.Activations.Scalar(act, MathF.FusedMultiplyAdd(xr[j], scale[j], shift[j]));
            }
        }
    }

    // x, dy: [rows, c]  →  adds Σ dy and Σ dy·x of each channel into sumDy, sumDyX: [c] (double); tmp: [2c]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardSums(float* x, float* dy, int rows, int c, double* sumDy, double* sumDyX, float* tmp)
    {
        float* s1 = tmp, s2 = tmp + c;
        int w = Vector<float>.Count;
        for (int r0 = 0; r0 < rows; r0 += ChunkRows)
        {
            int r1 = Math.Min(rows, r0 + ChunkRows);
            new Span<float>(tmp, 2 * c).Clear();
            for (int r = r0; r < r1; r++)
            {
                float* xr = x + ((long)r * c), gr = dy + ((long)r * c);
                int j = 0;
                for (; j <= c - w; j += w)
                {
                    var g = Unsafe.ReadUnaligned<Vector<float>>(gr + j);
                    Unsafe.WriteUnaligned(s1 + j, Unsafe.ReadUnaligned<Vector<float>>(s1 + j) + g);
                    Unsafe.WriteUnaligned(s2 + j, Vector.FusedMultiplyAdd(g, Unsafe.ReadUnaligned<Vector<float>>(xr + j), Unsafe.ReadUnaligned<Vector<float>>(s2 + j)));
                }

                for (; j < c; j++)
                {
                    s1[j] += gr[j];
                    s2[j] = MathF.FusedMultiplyAdd(gr[j], xr[j], s2[j]);
                }
            }

            for (int j = 0; j < c; j++)
            {
                sumDy[j] += s1[j];
                sumDyX[j] += s2[j];
            }
        }
    }

    /// <summary>
    /// The per-channel coefficients of dx = k1·dy + k2·x + k3 from the backward sums: dγ = (Σdy·x − μ·Σdy)/σ and
    /// dβ = Σdy are written too. training: dx = γ/σ·(dy − dβ/N − x̂·dγ/N); inference: dx = γ/σ·dy.
    /// </summary>
    public static void BackwardCoefficients(double* sumDy, double* sumDyX, float* mean, float* variance, float* gamma, float eps, int rows, int c, bool training,
        float* dgamma, float* dbeta, float* k1, float* k2, float* k3)
    {
        for (int j = 0; j < c; j++)
        {
            double inv = 1.0 / Math.Sqrt(variance[j] + (double)eps);
            double db = sumDy[j], dg = (sumDyX[j] - (mean[j] * db)) * inv;
            dgamma[j] = (float)dg;
            dbeta[j] = (float)db;
            double a = gamma[j] * inv;
            k1[j] = (float)a;
            if (training)
            {
                double b = -a * inv * dg / rows;
                k2[j] = (float)b;
                k3[j] = (float)((-a * db / rows) - (b * mean[j]));
            }
            else
            {
                k2[j] = 0;
                k3[j] = 0;
            }
        }
    }

    // x, dy, dx: [rows, c]  k1, k2, k3: [c]  →  dx = k1·dy + k2·x + k3
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardApply(float* x, float* dy, int rows, int c, float* k1, float* k2, float* k3, float* dx)
    {
        int w = Vector<float>.Count;
        for (long r = 0; r < rows; r++)
        {
            float* xr = x + (r * c), gr = dy + (r * c), dr = dx + (r * c);
            int j = 0;
            for (; j <= c - w; j += w)
            {
                var v = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(gr + j), Unsafe.ReadUnaligned<Vector<float>>(k1 + j),
                    Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xr + j), Unsafe.ReadUnaligned<Vector<float>>(k2 + j), Unsafe.ReadUnaligned<Vector<float>>(k3 + j)));
                Unsafe.WriteUnaligned(dr + j, v);
            }

            for (; j < c; j++)
            {
                dr[j] = MathF.FusedMultiplyAdd(gr[j], k1[j], MathF.FusedMultiplyAdd(xr[j], k2[j], k3[j]));
            }
        }
    }
}
