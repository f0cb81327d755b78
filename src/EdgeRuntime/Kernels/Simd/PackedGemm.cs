using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeNet.Runtime.Kernels.Simd;

/// <summary>
/// Float GEMM against a weight matrix packed once at Prepare: C[M, N] = act(A[M, K] · B[K, N] + bias).
/// B is stored as NR-wide column panels ([N/NR][K][NR], zero padded) so the micro-kernel streams it
/// contiguously; A is read in place. NR is two vectors: 32 floats with AVX-512, 16 with AVX2,
/// 8 with 128-bit SIMD (AdvSimd on arm64). The three micro-kernels come from one template.
/// </summary>
public static unsafe partial class PackedGemm
{
    /// <summary>Floats per vector on this machine (16, 8 or 4).</summary>
    public static int Lanes { get; } = Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4;

    public static int NR => 2 * Lanes;

    public static string Isa => Lanes switch
    {
        16 => "avx512",
        8 => "avx2",
        _ => System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "advsimd" : "vector128",
    };

    /// <summary>Packs a row-major [k, n] matrix into panels; returns (packed, panels).</summary>
    public static float[] Pack(ReadOnlySpan<float> w, int k, int n)
    {
        int nr = NR, panels = (n + nr - 1) / nr;
        var packed = GC.AllocateArray<float>(panels * k * nr, pinned: true);
        for (int p = 0; p < panels; p++)
        {
            for (int i = 0; i < k; i++)
            {
                for (int j = 0; j < nr; j++)
                {
                    int col = (p * nr) + j;
                    packed[(((long)p * k) + i) * nr + j] = col < n ? w[(i * n) + col] : 0f;
                }
            }
        }

        return packed;
    }

    /// <summary>Bias padded to whole panels.</summary>
    public static float[] PadBias(ReadOnlySpan<float> bias, int n)
    {
        int nr = NR, panels = (n + nr - 1) / nr;
        var b = GC.AllocateArray<float>(panels * nr, pinned: true);
        bias.CopyTo(b);
        return b;
    }

    /// <summary>Computes panels [p0, p1) of C. act: 0 linear, 1 relu (others are applied afterwards).</summary>
    public static void Run(float* a, int lda, int m, int k, float* packed, float* bias, int n, int act, float* c, int ldc, int p0, int p1)
    {
        int nr = NR;
        for (int p = p0; p < p1; p++)
        {
            float* b = packed + ((long)p * k * nr);
            int cols = Math.Min(nr, n - (p * nr));
            switch (Lanes)
            {
                case 16: Panel512(a, lda, m, k, b, bias + (p * nr), act, c + (p * nr), ldc, cols); break;
                case 8: Panel256(a, lda, m, k, b, bias + (p * nr), act, c + (p * nr), ldc, cols); break;
                default: Panel128(a, lda, m, k, b, bias + (p * nr), act, c + (p * nr), ldc, cols); break;
            }
        }
    }

    public static int Panels(int n) => (n + NR - 1) / NR;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel512(float* a, int lda, int m, int k, float* b, float* bias, int act, float* c, int ldc, int nr)
    {
        // One NR = 32-column panel of B ([k][NR], packed) against every row of A; 4 rows at a time.
        var zero = Vector512<float>.Zero;
        var b0v = Vector512.Load(bias);
        var b1v = Vector512.Load(bias + 16);
        int r = 0;
        for (; r + 4 <= m; r += 4)
        {
            Vector512<float> c00 = b0v, c01 = b1v, c10 = b0v, c11 = b1v, c20 = b0v, c21 = b1v, c30 = b0v, c31 = b1v;
            float* a0 = a + ((long)r * lda), a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 32)
            {
                var w0 = Vector512.Load(bp);
                var w1 = Vector512.Load(bp + 16);
                var x = Vector512.Create(a0[p]); c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
                x = Vector512.Create(a1[p]); c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
                x = Vector512.Create(a2[p]); c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
                x = Vector512.Create(a3[p]); c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            }

            if (act == 1)
            {
                c00 = Vector512.Max(c00, zero); c01 = Vector512.Max(c01, zero); c10 = Vector512.Max(c10, zero); c11 = Vector512.Max(c11, zero);
                c20 = Vector512.Max(c20, zero); c21 = Vector512.Max(c21, zero); c30 = Vector512.Max(c30, zero); c31 = Vector512.Max(c31, zero);
            }

            Store512(c + ((long)r * ldc), c00, c01, nr);
            Store512(c + ((long)(r + 1) * ldc), c10, c11, nr);
            Store512(c + ((long)(r + 2) * ldc), c20, c21, nr);
            Store512(c + ((long)(r + 3) * ldc), c30, c31, nr);
        }

        for (; r < m; r++)
        {
            Vector512<float> c00 = b0v, c01 = b1v;
            float* a0 = a + ((long)r * lda);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 32)
            {
                var x = Vector512.Create(a0[p]);
                c00 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bp), c00);
                c01 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bp + 16), c01);
            }

            if (act == 1)
            {
                c00 = Vector512.Max(c00, zero);
                c01 = Vector512.Max(c01, zero);
            }

            Store512(c + ((long)r * ldc), c00, c01, nr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* dst, Vector512<float> v0, Vector512<float> v1, int nr)
    {
        if (nr == 32)
        {
            Vector512.Store(v0, dst);
            Vector512.Store(v1, dst + 16);
            return;
        }

        float* tmp = stackalloc float[32];
        Vector512.Store(v0, tmp);
        Vector512.Store(v1, tmp + 16);
        for (int j = 0; j < nr; j++)
        {
            dst[j] = tmp[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel256(float* a, int lda, int m, int k, float* b, float* bias, int act, float* c, int ldc, int nr)
    {
        // One NR = 16-column panel of B ([k][NR], packed) against every row of A; 4 rows at a time.
        var zero = Vector256<float>.Zero;
        var b0v = Vector256.Load(bias);
        var b1v = Vector256.Load(bias + 8);
        int r = 0;
        for (; r + 4 <= m; r += 4)
        {
            Vector256<float> c00 = b0v, c01 = b1v, c10 = b0v, c11 = b1v, c20 = b0v, c21 = b1v, c30 = b0v, c31 = b1v;
            float* a0 = a + ((long)r * lda), a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 16)
            {
                var w0 = Vector256.Load(bp);
                var w1 = Vector256.Load(bp + 8);
                var x = Vector256.Create(a0[p]); c00 = Vector256.FusedMultiplyAdd(x, w0, c00); c01 = Vector256.FusedMultiplyAdd(x, w1, c01);
                x = Vector256.Create(a1[p]); c10 = Vector256.FusedMultiplyAdd(x, w0, c10); c11 = Vector256.FusedMultiplyAdd(x, w1, c11);
                x = Vector256.Create(a2[p]); c20 = Vector256.FusedMultiplyAdd(x, w0, c20); c21 = Vector256.FusedMultiplyAdd(x, w1, c21);
                x = Vector256.Create(a3[p]); c30 = Vector256.FusedMultiplyAdd(x, w0, c30); c31 = Vector256.FusedMultiplyAdd(x, w1, c31);
            }

            if (act == 1)
            {
                c00 = Vector256.Max(c00, zero); c01 = Vector256.Max(c01, zero); c10 = Vector256.Max(c10, zero); c11 = Vector256.Max(c11, zero);
                c20 = Vector256.Max(c20, zero); c21 = Vector256.Max(c21, zero); c30 = Vector256.Max(c30, zero); c31 = Vector256.Max(c31, zero);
            }

            Store256(c + ((long)r * ldc), c00, c01, nr);
            Store256(c + ((long)(r + 1) * ldc), c10, c11, nr);
            Store256(c + ((long)(r + 2) * ldc), c20, c21, nr);
            Store256(c + ((long)(r + 3) * ldc), c30, c31, nr);
        }

        for (; r < m; r++)
        {
            Vector256<float> c00 = b0v, c01 = b1v;
            float* a0 = a + ((long)r * lda);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 16)
            {
                var x = Vector256.Create(a0[p]);
                c00 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp), c00);
                c01 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + 8), c01);
            }

            if (act == 1)
            {
                c00 = Vector256.Max(c00, zero);
                c01 = Vector256.Max(c01, zero);
            }

            Store256(c + ((long)r * ldc), c00, c01, nr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* dst, Vector256<float> v0, Vector256<float> v1, int nr)
    {
        if (nr == 16)
        {
            Vector256.Store(v0, dst);
            Vector256.Store(v1, dst + 8);
            return;
        }

        float* tmp = stackalloc float[16];
        Vector256.Store(v0, tmp);
        Vector256.Store(v1, tmp + 8);
        for (int j = 0; j < nr; j++)
        {
            dst[j] = tmp[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel128(float* a, int lda, int m, int k, float* b, float* bias, int act, float* c, int ldc, int nr)
    {
        // One NR = 8-column panel of B ([k][NR], packed) against every row of A; 4 rows at a time.
        var zero = Vector128<float>.Zero;
        var b0v = Vector128.Load(bias);
        var b1v = Vector128.Load(bias + 4);
        int r = 0;
        for (; r + 4 <= m; r += 4)
        {
            Vector128<float> c00 = b0v, c01 = b1v, c10 = b0v, c11 = b1v, c20 = b0v, c21 = b1v, c30 = b0v, c31 = b1v;
            float* a0 = a + ((long)r * lda), a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 8)
            {
                var w0 = Vector128.Load(bp);
                var w1 = Vector128.Load(bp + 4);
                var x = Vector128.Create(a0[p]); c00 = Vector128.FusedMultiplyAdd(x, w0, c00); c01 = Vector128.FusedMultiplyAdd(x, w1, c01);
                x = Vector128.Create(a1[p]); c10 = Vector128.FusedMultiplyAdd(x, w0, c10); c11 = Vector128.FusedMultiplyAdd(x, w1, c11);
                x = Vector128.Create(a2[p]); c20 = Vector128.FusedMultiplyAdd(x, w0, c20); c21 = Vector128.FusedMultiplyAdd(x, w1, c21);
                x = Vector128.Create(a3[p]); c30 = Vector128.FusedMultiplyAdd(x, w0, c30); c31 = Vector128.FusedMultiplyAdd(x, w1, c31);
            }

            if (act == 1)
            {
                c00 = Vector128.Max(c00, zero); c01 = Vector128.Max(c01, zero); c10 = Vector128.Max(c10, zero); c11 = Vector128.Max(c11, zero);
                c20 = Vector128.Max(c20, zero); c21 = Vector128.Max(c21, zero); c30 = Vector128.Max(c30, zero); c31 = Vector128.Max(c31, zero);
            }

            Store128(c + ((long)r * ldc), c00, c01, nr);
            Store128(c + ((long)(r + 1) * ldc), c10, c11, nr);
            Store128(c + ((long)(r + 2) * ldc), c20, c21, nr);
            Store128(c + ((long)(r + 3) * ldc), c30, c31, nr);
        }

        for (; r < m; r++)
        {
            Vector128<float> c00 = b0v, c01 = b1v;
            float* a0 = a + ((long)r * lda);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 8)
            {
                var x = Vector128.Create(a0[p]);
                c00 = Vector128.FusedMultiplyAdd(x, Vector128.Load(bp), c00);
                c01 = Vector128.FusedMultiplyAdd(x, Vector128.Load(bp + 4), c01);
            }

            if (act == 1)
            {
                c00 = Vector128.Max(c00, zero);
                c01 = Vector128.Max(c01, zero);
            }

            Store128(c + ((long)r * ldc), c00, c01, nr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store128(float* dst, Vector128<float> v0, Vector128<float> v1, int nr)
    {
        if (nr == 8)
        {
            Vector128.Store(v0, dst);
            Vector128.Store(v1, dst + 4);
            return;
        }

        float* tmp = stackalloc float[8];
        Vector128.Store(v0, tmp);
        Vector128.Store(v1, tmp + 4);
        for (int j = 0; j < nr; j++)
        {
            dst[j] = tmp[j];
        }
    }
}
