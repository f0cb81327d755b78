using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeNet.Kernels.Simd;

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
    public static void Run(float* a, int lda, int m, int k, float* packed, float* bias, int n, int act, float* c, int ldc, int p0, int p1) =>
        Run(new StridedRows<float>(a, lda), m, k, packed, bias, n, act, c, ldc, p0, p1);

    /// <summary>
    /// The same with A read through a row source: rows at any addresses, columns through an
    /// offset table (an implicit-GEMM convolution reads the padded image in place, no im2col).
    /// </summary>
    public static void Run<TA>(TA a, int m, int k, float* packed, float* bias, int n, int act, float* c, int ldc, int p0, int p1)
        where TA : struct, IRowSource<float>
    {
        int nr = NR;
        if (m < RowBlock)
        {
            // Few rows (batch 1, an LSTM step): two full panels at a time, so each row has four
            // independent accumulator chains instead of two (the FMA latency, not the loads,
            // bounded the one-panel loop). Same summation order, so results do not change.
            for (; p0 + 2 <= p1 && ((p0 + 2) * nr) <= n; p0 += 2)
            {
                float* b = packed + ((long)p0 * k * nr);
                switch (Lanes)
                {
                    case 16: TwoPanels512(a, m, k, b, bias + (p0 * nr), act, c + (p0 * nr), ldc); break;
                    case 8: TwoPanels256(a, m, k, b, bias + (p0 * nr), act, c + (p0 * nr), ldc); break;
                    default: TwoPanels128(a, m, k, b, bias + (p0 * nr), act, c + (p0 * nr), ldc); break;
                }
            }
        }

        for (int p = p0; p < p1; p++)
        {
            float* b = packed + ((long)p * k * nr);
            int cols = Math.Min(nr, n - (p * nr));
            if (cols <= Lanes)
            {
                switch (Lanes)
                {
                    case 16: PanelHalf512(a, m, k, b, bias + (p * nr), act, c + (p * nr), ldc, cols); break;
                    case 8: PanelHalf256(a, m, k, b, bias + (p * nr), act, c + (p * nr), ldc, cols); break;
                    default: PanelHalf128(a, m, k, b, bias + (p * nr), act, c + (p * nr), ldc, cols); break;
                }

                continue;
            }

            switch (Lanes)
            {
                case 16: Panel512(a, m, k, b, bias + (p * nr), act, c + (p * nr), ldc, cols); break;
                case 8: Panel256(a, m, k, b, bias + (p * nr), act, c + (p * nr), ldc, cols); break;
                default: Panel128(a, m, k, b, bias + (p * nr), act, c + (p * nr), ldc, cols); break;
            }
        }
    }

    public static int Panels(int n) => (n + NR - 1) / NR;

    /// <summary>Rows per block of the full micro-kernels (8 with AVX-512 and 128-bit, 6 with AVX2).</summary>
    private static int RowBlock => Lanes == 8 ? 6 : 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel512<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc, int nr)
        where TA : struct, IRowSource<float>
    {
        // One NR = 32-column panel of B ([k][NR], packed) against every row of A; 8 rows at a time
        // (16 accumulators), then the remaining rows one by one.
        var zero = Vector512<float>.Zero;
        var b0v = Vector512.Load(bias);
        var b1v = Vector512.Load(bias + 16);
        int r = 0;
        for (; r + 8 <= m; r += 8)
        {
            Vector512<float> c00 = b0v, c01 = b1v, c10 = b0v, c11 = b1v, c20 = b0v, c21 = b1v, c30 = b0v, c31 = b1v, c40 = b0v, c41 = b1v, c50 = b0v, c51 = b1v, c60 = b0v, c61 = b1v, c70 = b0v, c71 = b1v;
            float* a0 = a.Row(r), a1 = a.Row(r + 1), a2 = a.Row(r + 2), a3 = a.Row(r + 3), a4 = a.Row(r + 4), a5 = a.Row(r + 5), a6 = a.Row(r + 6), a7 = a.Row(r + 7);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 32)
            {
                int o = a.Col(p);
                var w0 = Vector512.Load(bp);
                var w1 = Vector512.Load(bp + 16);
                var x = Vector512.Create(a0[o]); c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
                x = Vector512.Create(a1[o]); c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
                x = Vector512.Create(a2[o]); c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
                x = Vector512.Create(a3[o]); c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
                x = Vector512.Create(a4[o]); c40 = Vector512.FusedMultiplyAdd(x, w0, c40); c41 = Vector512.FusedMultiplyAdd(x, w1, c41);
                x = Vector512.Create(a5[o]); c50 = Vector512.FusedMultiplyAdd(x, w0, c50); c51 = Vector512.FusedMultiplyAdd(x, w1, c51);
                x = Vector512.Create(a6[o]); c60 = Vector512.FusedMultiplyAdd(x, w0, c60); c61 = Vector512.FusedMultiplyAdd(x, w1, c61);
                x = Vector512.Create(a7[o]); c70 = Vector512.FusedMultiplyAdd(x, w0, c70); c71 = Vector512.FusedMultiplyAdd(x, w1, c71);
            }

            if (act == 1)
            {
                c00 = Vector512.Max(c00, zero); c01 = Vector512.Max(c01, zero); c10 = Vector512.Max(c10, zero); c11 = Vector512.Max(c11, zero); c20 = Vector512.Max(c20, zero); c21 = Vector512.Max(c21, zero); c30 = Vector512.Max(c30, zero); c31 = Vector512.Max(c31, zero); c40 = Vector512.Max(c40, zero); c41 = Vector512.Max(c41, zero); c50 = Vector512.Max(c50, zero); c51 = Vector512.Max(c51, zero); c60 = Vector512.Max(c60, zero); c61 = Vector512.Max(c61, zero); c70 = Vector512.Max(c70, zero); c71 = Vector512.Max(c71, zero);
            }

            PanelStore.Two(c + ((long)(r + 0) * ldc), c00, c01, nr);
            PanelStore.Two(c + ((long)(r + 1) * ldc), c10, c11, nr);
            PanelStore.Two(c + ((long)(r + 2) * ldc), c20, c21, nr);
            PanelStore.Two(c + ((long)(r + 3) * ldc), c30, c31, nr);
            PanelStore.Two(c + ((long)(r + 4) * ldc), c40, c41, nr);
            PanelStore.Two(c + ((long)(r + 5) * ldc), c50, c51, nr);
            PanelStore.Two(c + ((long)(r + 6) * ldc), c60, c61, nr);
            PanelStore.Two(c + ((long)(r + 7) * ldc), c70, c71, nr);
        }

        for (; r < m; r++)
        {
            Vector512<float> c00 = b0v, c01 = b1v;
            float* a0 = a.Row(r);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 32)
            {
                int o = a.Col(p);
                var x = Vector512.Create(a0[o]);
                c00 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bp), c00);
                c01 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bp + 16), c01);
            }

            if (act == 1)
            {
                c00 = Vector512.Max(c00, zero);
                c01 = Vector512.Max(c01, zero);
            }

            PanelStore.Two(c + ((long)r * ldc), c00, c01, nr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel256<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc, int nr)
        where TA : struct, IRowSource<float>
    {
        // One NR = 16-column panel of B ([k][NR], packed) against every row of A; 6 rows at a time
        // (12 accumulators), then the remaining rows one by one.
        var zero = Vector256<float>.Zero;
        var b0v = Vector256.Load(bias);
        var b1v = Vector256.Load(bias + 8);
        int r = 0;
        for (; r + 6 <= m; r += 6)
        {
            Vector256<float> c00 = b0v, c01 = b1v, c10 = b0v, c11 = b1v, c20 = b0v, c21 = b1v, c30 = b0v, c31 = b1v, c40 = b0v, c41 = b1v, c50 = b0v, c51 = b1v;
            float* a0 = a.Row(r), a1 = a.Row(r + 1), a2 = a.Row(r + 2), a3 = a.Row(r + 3), a4 = a.Row(r + 4), a5 = a.Row(r + 5);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 16)
            {
                int o = a.Col(p);
                var w0 = Vector256.Load(bp);
                var w1 = Vector256.Load(bp + 8);
                var x = Vector256.Create(a0[o]); c00 = Vector256.FusedMultiplyAdd(x, w0, c00); c01 = Vector256.FusedMultiplyAdd(x, w1, c01);
                x = Vector256.Create(a1[o]); c10 = Vector256.FusedMultiplyAdd(x, w0, c10); c11 = Vector256.FusedMultiplyAdd(x, w1, c11);
                x = Vector256.Create(a2[o]); c20 = Vector256.FusedMultiplyAdd(x, w0, c20); c21 = Vector256.FusedMultiplyAdd(x, w1, c21);
                x = Vector256.Create(a3[o]); c30 = Vector256.FusedMultiplyAdd(x, w0, c30); c31 = Vector256.FusedMultiplyAdd(x, w1, c31);
                x = Vector256.Create(a4[o]); c40 = Vector256.FusedMultiplyAdd(x, w0, c40); c41 = Vector256.FusedMultiplyAdd(x, w1, c41);
                x = Vector256.Create(a5[o]); c50 = Vector256.FusedMultiplyAdd(x, w0, c50); c51 = Vector256.FusedMultiplyAdd(x, w1, c51);
            }

            if (act == 1)
            {
                c00 = Vector256.Max(c00, zero); c01 = Vector256.Max(c01, zero); c10 = Vector256.Max(c10, zero); c11 = Vector256.Max(c11, zero); c20 = Vector256.Max(c20, zero); c21 = Vector256.Max(c21, zero); c30 = Vector256.Max(c30, zero); c31 = Vector256.Max(c31, zero); c40 = Vector256.Max(c40, zero); c41 = Vector256.Max(c41, zero); c50 = Vector256.Max(c50, zero); c51 = Vector256.Max(c51, zero);
            }

            PanelStore.Two(c + ((long)(r + 0) * ldc), c00, c01, nr);
            PanelStore.Two(c + ((long)(r + 1) * ldc), c10, c11, nr);
            PanelStore.Two(c + ((long)(r + 2) * ldc), c20, c21, nr);
            PanelStore.Two(c + ((long)(r + 3) * ldc), c30, c31, nr);
            PanelStore.Two(c + ((long)(r + 4) * ldc), c40, c41, nr);
            PanelStore.Two(c + ((long)(r + 5) * ldc), c50, c51, nr);
        }

        for (; r < m; r++)
        {
            Vector256<float> c00 = b0v, c01 = b1v;
            float* a0 = a.Row(r);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 16)
            {
                int o = a.Col(p);
                var x = Vector256.Create(a0[o]);
                c00 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp), c00);
                c01 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + 8), c01);
            }

            if (act == 1)
            {
                c00 = Vector256.Max(c00, zero);
                c01 = Vector256.Max(c01, zero);
            }

            PanelStore.Two(c + ((long)r * ldc), c00, c01, nr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel128<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc, int nr)
        where TA : struct, IRowSource<float>
    {
        // One NR = 8-column panel of B ([k][NR], packed) against every row of A; 8 rows at a time
        // (16 accumulators), then the remaining rows one by one.
        var zero = Vector128<float>.Zero;
        var b0v = Vector128.Load(bias);
        var b1v = Vector128.Load(bias + 4);
        int r = 0;
        for (; r + 8 <= m; r += 8)
        {
            Vector128<float> c00 = b0v, c01 = b1v, c10 = b0v, c11 = b1v, c20 = b0v, c21 = b1v, c30 = b0v, c31 = b1v, c40 = b0v, c41 = b1v, c50 = b0v, c51 = b1v, c60 = b0v, c61 = b1v, c70 = b0v, c71 = b1v;
            float* a0 = a.Row(r), a1 = a.Row(r + 1), a2 = a.Row(r + 2), a3 = a.Row(r + 3), a4 = a.Row(r + 4), a5 = a.Row(r + 5), a6 = a.Row(r + 6), a7 = a.Row(r + 7);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 8)
            {
                int o = a.Col(p);
                var w0 = Vector128.Load(bp);
                var w1 = Vector128.Load(bp + 4);
                var x = Vector128.Create(a0[o]); c00 = Vector128.FusedMultiplyAdd(x, w0, c00); c01 = Vector128.FusedMultiplyAdd(x, w1, c01);
                x = Vector128.Create(a1[o]); c10 = Vector128.FusedMultiplyAdd(x, w0, c10); c11 = Vector128.FusedMultiplyAdd(x, w1, c11);
                x = Vector128.Create(a2[o]); c20 = Vector128.FusedMultiplyAdd(x, w0, c20); c21 = Vector128.FusedMultiplyAdd(x, w1, c21);
                x = Vector128.Create(a3[o]); c30 = Vector128.FusedMultiplyAdd(x, w0, c30); c31 = Vector128.FusedMultiplyAdd(x, w1, c31);
                x = Vector128.Create(a4[o]); c40 = Vector128.FusedMultiplyAdd(x, w0, c40); c41 = Vector128.FusedMultiplyAdd(x, w1, c41);
                x = Vector128.Create(a5[o]); c50 = Vector128.FusedMultiplyAdd(x, w0, c50); c51 = Vector128.FusedMultiplyAdd(x, w1, c51);
                x = Vector128.Create(a6[o]); c60 = Vector128.FusedMultiplyAdd(x, w0, c60); c61 = Vector128.FusedMultiplyAdd(x, w1, c61);
                x = Vector128.Create(a7[o]); c70 = Vector128.FusedMultiplyAdd(x, w0, c70); c71 = Vector128.FusedMultiplyAdd(x, w1, c71);
            }

            if (act == 1)
            {
                c00 = Vector128.Max(c00, zero); c01 = Vector128.Max(c01, zero); c10 = Vector128.Max(c10, zero); c11 = Vector128.Max(c11, zero); c20 = Vector128.Max(c20, zero); c21 = Vector128.Max(c21, zero); c30 = Vector128.Max(c30, zero); c31 = Vector128.Max(c31, zero); c40 = Vector128.Max(c40, zero); c41 = Vector128.Max(c41, zero); c50 = Vector128.Max(c50, zero); c51 = Vector128.Max(c51, zero); c60 = Vector128.Max(c60, zero); c61 = Vector128.Max(c61, zero); c70 = Vector128.Max(c70, zero); c71 = Vector128.Max(c71, zero);
            }

            PanelStore.Two(c + ((long)(r + 0) * ldc), c00, c01, nr);
            PanelStore.Two(c + ((long)(r + 1) * ldc), c10, c11, nr);
            PanelStore.Two(c + ((long)(r + 2) * ldc), c20, c21, nr);
            PanelStore.Two(c + ((long)(r + 3) * ldc), c30, c31, nr);
            PanelStore.Two(c + ((long)(r + 4) * ldc), c40, c41, nr);
            PanelStore.Two(c + ((long)(r + 5) * ldc), c50, c51, nr);
            PanelStore.Two(c + ((long)(r + 6) * ldc), c60, c61, nr);
            PanelStore.Two(c + ((long)(r + 7) * ldc), c70, c71, nr);
        }

        for (; r < m; r++)
        {
            Vector128<float> c00 = b0v, c01 = b1v;
            float* a0 = a.Row(r);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 8)
            {
                int o = a.Col(p);
                var x = Vector128.Create(a0[o]);
                c00 = Vector128.FusedMultiplyAdd(x, Vector128.Load(bp), c00);
                c01 = Vector128.FusedMultiplyAdd(x, Vector128.Load(bp + 4), c01);
            }

            if (act == 1)
            {
                c00 = Vector128.Max(c00, zero);
                c01 = Vector128.Max(c01, zero);
            }

            PanelStore.Two(c + ((long)r * ldc), c00, c01, nr);
        }
    }

    /// <summary>The last, at most 16-column panel: one vector per row, so a narrow tail costs half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelHalf512<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc, int nr)
        where TA : struct, IRowSource<float>
    {
        var zero = Vector512<float>.Zero;
        var b0v = Vector512.Load(bias);
        int r = 0;
        for (; r + 8 <= m; r += 8)
        {
            Vector512<float> c0 = b0v, c1 = b0v, c2 = b0v, c3 = b0v, c4 = b0v, c5 = b0v, c6 = b0v, c7 = b0v;
            float* a0 = a.Row(r), a1 = a.Row(r + 1), a2 = a.Row(r + 2), a3 = a.Row(r + 3), a4 = a.Row(r + 4), a5 = a.Row(r + 5), a6 = a.Row(r + 6), a7 = a.Row(r + 7);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 32)
            {
                int o = a.Col(p);
                var w0 = Vector512.Load(bp);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[o]), w0, c0);
                c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[o]), w0, c1);
                c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[o]), w0, c2);
                c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[o]), w0, c3);
                c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[o]), w0, c4);
                c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a5[o]), w0, c5);
                c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a6[o]), w0, c6);
                c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a7[o]), w0, c7);
            }

            if (act == 1)
            {
                c0 = Vector512.Max(c0, zero); c1 = Vector512.Max(c1, zero); c2 = Vector512.Max(c2, zero); c3 = Vector512.Max(c3, zero); c4 = Vector512.Max(c4, zero); c5 = Vector512.Max(c5, zero); c6 = Vector512.Max(c6, zero); c7 = Vector512.Max(c7, zero);
            }

            PanelStore.One(c + ((long)(r + 0) * ldc), c0, nr);
            PanelStore.One(c + ((long)(r + 1) * ldc), c1, nr);
            PanelStore.One(c + ((long)(r + 2) * ldc), c2, nr);
            PanelStore.One(c + ((long)(r + 3) * ldc), c3, nr);
            PanelStore.One(c + ((long)(r + 4) * ldc), c4, nr);
            PanelStore.One(c + ((long)(r + 5) * ldc), c5, nr);
            PanelStore.One(c + ((long)(r + 6) * ldc), c6, nr);
            PanelStore.One(c + ((long)(r + 7) * ldc), c7, nr);
        }

        for (; r < m; r++)
        {
            var c0 = b0v;
            float* a0 = a.Row(r);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 32)
            {
                int o = a.Col(p);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[o]), Vector512.Load(bp), c0);
            }

            if (act == 1)
            {
                c0 = Vector512.Max(c0, zero);
            }

            PanelStore.One(c + ((long)r * ldc), c0, nr);
        }
    }

    /// <summary>The last, at most 8-column panel: one vector per row, so a narrow tail costs half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelHalf256<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc, int nr)
        where TA : struct, IRowSource<float>
    {
        var zero = Vector256<float>.Zero;
        var b0v = Vector256.Load(bias);
        int r = 0;
        for (; r + 6 <= m; r += 6)
        {
            Vector256<float> c0 = b0v, c1 = b0v, c2 = b0v, c3 = b0v, c4 = b0v, c5 = b0v;
            float* a0 = a.Row(r), a1 = a.Row(r + 1), a2 = a.Row(r + 2), a3 = a.Row(r + 3), a4 = a.Row(r + 4), a5 = a.Row(r + 5);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 16)
            {
                int o = a.Col(p);
                var w0 = Vector256.Load(bp);
                c0 = Vector256.FusedMultiplyAdd(Vector256.Create(a0[o]), w0, c0);
                c1 = Vector256.FusedMultiplyAdd(Vector256.Create(a1[o]), w0, c1);
                c2 = Vector256.FusedMultiplyAdd(Vector256.Create(a2[o]), w0, c2);
                c3 = Vector256.FusedMultiplyAdd(Vector256.Create(a3[o]), w0, c3);
                c4 = Vector256.FusedMultiplyAdd(Vector256.Create(a4[o]), w0, c4);
                c5 = Vector256.FusedMultiplyAdd(Vector256.Create(a5[o]), w0, c5);
            }

            if (act == 1)
            {
                c0 = Vector256.Max(c0, zero); c1 = Vector256.Max(c1, zero); c2 = Vector256.Max(c2, zero); c3 = Vector256.Max(c3, zero); c4 = Vector256.Max(c4, zero); c5 = Vector256.Max(c5, zero);
            }

            PanelStore.One(c + ((long)(r + 0) * ldc), c0, nr);
            PanelStore.One(c + ((long)(r + 1) * ldc), c1, nr);
            PanelStore.One(c + ((long)(r + 2) * ldc), c2, nr);
            PanelStore.One(c + ((long)(r + 3) * ldc), c3, nr);
            PanelStore.One(c + ((long)(r + 4) * ldc), c4, nr);
            PanelStore.One(c + ((long)(r + 5) * ldc), c5, nr);
        }

        for (; r < m; r++)
        {
            var c0 = b0v;
            float* a0 = a.Row(r);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 16)
            {
                int o = a.Col(p);
                c0 = Vector256.FusedMultiplyAdd(Vector256.Create(a0[o]), Vector256.Load(bp), c0);
            }

            if (act == 1)
            {
                c0 = Vector256.Max(c0, zero);
            }

            PanelStore.One(c + ((long)r * ldc), c0, nr);
        }
    }

    /// <summary>The last, at most 4-column panel: one vector per row, so a narrow tail costs half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelHalf128<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc, int nr)
        where TA : struct, IRowSource<float>
    {
        var zero = Vector128<float>.Zero;
        var b0v = Vector128.Load(bias);
        int r = 0;
        for (; r + 8 <= m; r += 8)
        {
            Vector128<float> c0 = b0v, c1 = b0v, c2 = b0v, c3 = b0v, c4 = b0v, c5 = b0v, c6 = b0v, c7 = b0v;
            float* a0 = a.Row(r), a1 = a.Row(r + 1), a2 = a.Row(r + 2), a3 = a.Row(r + 3), a4 = a.Row(r + 4), a5 = a.Row(r + 5), a6 = a.Row(r + 6), a7 = a.Row(r + 7);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 8)
            {
                int o = a.Col(p);
                var w0 = Vector128.Load(bp);
                c0 = Vector128.FusedMultiplyAdd(Vector128.Create(a0[o]), w0, c0);
                c1 = Vector128.FusedMultiplyAdd(Vector128.Create(a1[o]), w0, c1);
                c2 = Vector128.FusedMultiplyAdd(Vector128.Create(a2[o]), w0, c2);
                c3 = Vector128.FusedMultiplyAdd(Vector128.Create(a3[o]), w0, c3);
                c4 = Vector128.FusedMultiplyAdd(Vector128.Create(a4[o]), w0, c4);
                c5 = Vector128.FusedMultiplyAdd(Vector128.Create(a5[o]), w0, c5);
                c6 = Vector128.FusedMultiplyAdd(Vector128.Create(a6[o]), w0, c6);
                c7 = Vector128.FusedMultiplyAdd(Vector128.Create(a7[o]), w0, c7);
            }

            if (act == 1)
            {
                c0 = Vector128.Max(c0, zero); c1 = Vector128.Max(c1, zero); c2 = Vector128.Max(c2, zero); c3 = Vector128.Max(c3, zero); c4 = Vector128.Max(c4, zero); c5 = Vector128.Max(c5, zero); c6 = Vector128.Max(c6, zero); c7 = Vector128.Max(c7, zero);
            }

            PanelStore.One(c + ((long)(r + 0) * ldc), c0, nr);
            PanelStore.One(c + ((long)(r + 1) * ldc), c1, nr);
            PanelStore.One(c + ((long)(r + 2) * ldc), c2, nr);
            PanelStore.One(c + ((long)(r + 3) * ldc), c3, nr);
            PanelStore.One(c + ((long)(r + 4) * ldc), c4, nr);
            PanelStore.One(c + ((long)(r + 5) * ldc), c5, nr);
            PanelStore.One(c + ((long)(r + 6) * ldc), c6, nr);
            PanelStore.One(c + ((long)(r + 7) * ldc), c7, nr);
        }

        for (; r < m; r++)
        {
            var c0 = b0v;
            float* a0 = a.Row(r);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += 8)
            {
                int o = a.Col(p);
                c0 = Vector128.FusedMultiplyAdd(Vector128.Create(a0[o]), Vector128.Load(bp), c0);
            }

            if (act == 1)
            {
                c0 = Vector128.Max(c0, zero);
            }

            PanelStore.One(c + ((long)r * ldc), c0, nr);
        }
    }

    /// <summary>Rows one at a time against two adjacent full panels (<see cref="Run{TA}"/>, few rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoPanels512<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc)
        where TA : struct, IRowSource<float>
    {
        // b: two panels [2][k][32] back to back; c: [m, 64] at stride ldc.
        float* b2 = b + ((long)k * 2 * 16);
        for (int r = 0; r < m; r++)
        {
            Vector512<float> c0 = Vector512.Load(bias), c1 = Vector512.Load(bias + 16), c2 = Vector512.Load(bias + (2 * 16)), c3 = Vector512.Load(bias + (3 * 16));
            float* a0 = a.Row(r);
            float* bp = b, bq = b2;
            for (int p = 0; p < k; p++, bp += 2 * 16, bq += 2 * 16)
            {
                var x = Vector512.Create(a0[a.Col(p)]);
                c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bp), c0);
                c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bp + 16), c1);
                c2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bq), c2);
                c3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bq + 16), c3);
            }

            if (act == 1)
            {
                c0 = Vector512.Max(c0, Vector512<float>.Zero);
                c1 = Vector512.Max(c1, Vector512<float>.Zero);
                c2 = Vector512.Max(c2, Vector512<float>.Zero);
                c3 = Vector512.Max(c3, Vector512<float>.Zero);
            }

            float* dst = c + ((long)r * ldc);
            Vector512.Store(c0, dst);
            Vector512.Store(c1, dst + 16);
            Vector512.Store(c2, dst + (2 * 16));
            Vector512.Store(c3, dst + (3 * 16));
        }
    }

    /// <summary>Rows one at a time against two adjacent full panels (<see cref="Run{TA}"/>, few rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoPanels256<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc)
        where TA : struct, IRowSource<float>
    {
        // b: two panels [2][k][16] back to back; c: [m, 32] at stride ldc.
        float* b2 = b + ((long)k * 2 * 8);
        for (int r = 0; r < m; r++)
        {
            Vector256<float> c0 = Vector256.Load(bias), c1 = Vector256.Load(bias + 8), c2 = Vector256.Load(bias + (2 * 8)), c3 = Vector256.Load(bias + (3 * 8));
            float* a0 = a.Row(r);
            float* bp = b, bq = b2;
            for (int p = 0; p < k; p++, bp += 2 * 8, bq += 2 * 8)
            {
                var x = Vector256.Create(a0[a.Col(p)]);
                c0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp), c0);
                c1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + 8), c1);
                c2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bq), c2);
                c3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bq + 8), c3);
            }

            if (act == 1)
            {
                c0 = Vector256.Max(c0, Vector256<float>.Zero);
                c1 = Vector256.Max(c1, Vector256<float>.Zero);
                c2 = Vector256.Max(c2, Vector256<float>.Zero);
                c3 = Vector256.Max(c3, Vector256<float>.Zero);
            }

            float* dst = c + ((long)r * ldc);
            Vector256.Store(c0, dst);
            Vector256.Store(c1, dst + 8);
            Vector256.Store(c2, dst + (2 * 8));
            Vector256.Store(c3, dst + (3 * 8));
        }
    }

    /// <summary>Rows one at a time against two adjacent full panels (<see cref="Run{TA}"/>, few rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoPanels128<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc)
        where TA : struct, IRowSource<float>
    {
        // b: two panels [2][k][8] back to back; c: [m, 16] at stride ldc.
        float* b2 = b + ((long)k * 2 * 4);
        for (int r = 0; r < m; r++)
        {
            Vector128<float> c0 = Vector128.Load(bias), c1 = Vector128.Load(bias + 4), c2 = Vector128.Load(bias + (2 * 4)), c3 = Vector128.Load(bias + (3 * 4));
            float* a0 = a.Row(r);
            float* bp = b, bq = b2;
            for (int p = 0; p < k; p++, bp += 2 * 4, bq += 2 * 4)
            {
                var x = Vector128.Create(a0[a.Col(p)]);
                c0 = Vector128.FusedMultiplyAdd(x, Vector128.Load(bp), c0);
                c1 = Vector128.FusedMultiplyAdd(x, Vector128.Load(bp + 4), c1);
                c2 = Vector128.FusedMultiplyAdd(x, Vector128.Load(bq), c2);
                c3 = Vector128.FusedMultiplyAdd(x, Vector128.Load(bq + 4), c3);
            }

            if (act == 1)
            {
                c0 = Vector128.Max(c0, Vector128<float>.Zero);
                c1 = Vector128.Max(c1, Vector128<float>.Zero);
                c2 = Vector128.Max(c2, Vector128<float>.Zero);
                c3 = Vector128.Max(c3, Vector128<float>.Zero);
            }

            float* dst = c + ((long)r * ldc);
            Vector128.Store(c0, dst);
            Vector128.Store(c1, dst + 4);
            Vector128.Store(c2, dst + (2 * 4));
            Vector128.Store(c3, dst + (3 * 4));
        }
    }
}
