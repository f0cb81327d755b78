using System.Buffers;
using SimdBn = EdgeNet.Kernels.Simd.BatchNorm;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>Batch normalization from EdgeNet.Kernels: rows split between threads, each with its own double sums, added at the end.</summary>
internal sealed partial class CpuBackend
{
    // x: [rows, c]  →  mean, variance: [c] (biased), the sums taken about the first row (close to the mean, so the variance does not cancel)
    public unsafe void BatchNormMoments(Storage x, int rows, int c, Storage mean, Storage variance)
    {
        float[] xs = A(x);
        var (sum, sumSq) = RowSums(rows, c, (r0, r1, s1, s2, tmp) =>
        {
            fixed (float* xp = xs)
            {
                SimdBn.Sums(xp + ((long)r0 * c), r1 - r0, c, xp, s1, s2, tmp);
            }
        });
        fixed (double* s1 = sum, s2 = sumSq)
        fixed (float* xp = xs, m = A(mean), v = A(variance))
        {
            SimdBn.Moments(s1, s2, xp, rows, c, m, v);
        }

        ArrayPool<double>.Shared.Return(sum);
        ArrayPool<double>.Shared.Return(sumSq);
    }

    // x, y: [rows, c]  mean, variance, gamma, beta: [c]
    public unsafe void BatchNormForward(Storage x, int rows, int c, Storage mean, Storage variance, Storage gamma, Storage beta, float eps, Storage y)
    {
        float[] scale = ArrayPool<float>.Shared.Rent(c), shift = ArrayPool<float>.Shared.Rent(c);
        var m = S(mean);
        var v = S(variance);
        var gm = S(gamma);
        var bt = S(beta);
        for (int j = 0; j < c; j++)
        {
            double inv = 1.0 / Math.Sqrt(v[j] + (double)eps);
            scale[j] = (float)(gm[j] * inv);
            shift[j] = (float)(bt[j] - (m[j] * gm[j] * inv));
        }

        float[] xs = A(x), ys = A(y);
        ForImageRanges(rows, c, (r0, r1) =>
        {
            fixed (float* xp = xs, yp = ys, sc = scale, sh = shift)
            {
                SimdBn.Apply(xp + ((long)r0 * c), r1 - r0, c, sc, sh, 0, yp + ((long)r0 * c));
            }
        });
        ArrayPool<float>.Shared.Return(scale);
        ArrayPool<float>.Shared.Return(shift);
    }

    // x, dy: [rows, c]  mean, variance, gamma: [c]  →  dx: [rows, c], dgamma, dbeta: [c]
    public unsafe void BatchNormBackward(Storage x, Storage dy, int rows, int c, Storage mean, Storage variance, Storage gamma, float eps, bool training, Storage dx, Storage dgamma, Storage dbeta)
    {
        float[] xs = A(x), gs = A(dy), ds = A(dx);
        var (sumDy, sumDyX) = RowSums(rows, c, (r0, r1, s1, s2, tmp) =>
        {
            fixed (float* xp = xs, gp = gs)
            {
                SimdBn.BackwardSums(xp + ((long)r0 * c), gp + ((long)r0 * c), r1 - r0, c, s1, s2, tmp);
            }
        });
        float[] k = ArrayPool<float>.Shared.Rent(3 * c);
        fixed (double* s1 = sumDy, s2 = sumDyX)
        fixed (float* m = A(mean), v = A(variance), gm = A(gamma), dg = A(dgamma), db = A(dbeta), kp = k)
        {
            SimdBn.BackwardCoefficients(s1, s2, m, v, gm, eps, rows, c, training, dg, db, kp, kp + c, kp + (2 * c));
        }

        ForImageRanges(rows, c, (r0, r1) =>
        {
            fixed (float* xp = xs, gp = gs, dp = ds, kp = k)
            {
                SimdBn.BackwardApply(xp + ((long)r0 * c), gp + ((long)r0 * c), r1 - r0, c, kp, kp + c, kp + (2 * c), dp + ((long)r0 * c));
            }
        });
        ArrayPool<float>.Shared.Return(k);
        ArrayPool<double>.Shared.Return(sumDy);
        ArrayPool<double>.Shared.Return(sumDyX);
    }

    // moving, batch: [n]
    public void MovingAverage(Storage moving, Storage batch, int n, float momentum, float batchScale)
    {
        var m = S(moving)[..n];
        var b = S(batch)[..n];
        for (int i = 0; i < n; i++)
        {
            m[i] = (float)((momentum * (double)m[i]) + ((1 - (double)momentum) * batchScale * b[i]));
        }
    }

    private unsafe delegate void RowSumsBody(int r0, int r1, double* s1, double* s2, float* tmp);

    /// <summary>Two per-channel double sums over [rows, c] by <paramref name="body"/>, rows split between threads; rented arrays of at least c (return them).</summary>
    private static unsafe (double[] First, double[] Second) RowSums(int rows, int c, RowSumsBody body)
    {
        int parts = Parts(rows, c);
        double[] partial = ArrayPool<double>.Shared.Rent(parts * 2 * c);
        Array.Clear(partial, 0, parts * 2 * c);
        void Part(int p)
        {
            float[] tmp = ArrayPool<float>.Shared.Rent(SimdBn.ScratchFloats(c));
            fixed (double* pp = partial)
            fixed (float* t = tmp)
            {
                body(rows * p / parts, rows * (p + 1) / parts, pp + ((long)p * 2 * c), pp + ((long)p * 2 * c) + c, t);
            }

            ArrayPool<float>.Shared.Return(tmp);
        }

        if (parts == 1)
        {
            Part(0);
        }
        else
        {
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, Part);
        }

        double[] first = ArrayPool<double>.Shared.Rent(c), second = ArrayPool<double>.Shared.Rent(c);
        for (int j = 0; j < c; j++)
        {
            double a = 0, b = 0;
            for (int p = 0; p < parts; p++)
            {
                a += partial[(p * 2 * c) + j];
                b += partial[(p * 2 * c) + c + j];
            }

            first[j] = a;
            second[j] = b;
        }

        ArrayPool<double>.Shared.Return(partial);
        return (first, second);
    }
}
