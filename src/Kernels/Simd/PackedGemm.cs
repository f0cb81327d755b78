using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Float GEMM against a weight matrix packed once at Prepare: C[M, N] = act(A[M, K] · B[K, N] + bias).
/// B is stored as NR-wide column panels ([N/NR][K][NR], zero padded) so the micro-kernel streams it
/// contiguously; A is read in place. NR is two vectors: 32 floats with AVX-512, 16 with AVX2,
/// 8 with 128-bit SIMD (AdvSimd on arm64). The micro-kernels of each width are generated (PackedGemm.Panels.g.cs).
/// </summary>
internal static unsafe partial class PackedGemm
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
        var packed = GC.AllocateArray<float>(Panels(n) * k * NR, pinned: true);
        PackInto(w, k, n, packed);
        return packed;
    }

    /// <summary>Packs a row-major [k, n] matrix into existing panels (new weights for a prepared layer; allocates nothing).</summary>
    public static void PackInto(ReadOnlySpan<float> w, int k, int n, Span<float> packed)
    {
        int nr = NR, panels = (n + nr - 1) / nr;
        if (w.Length < k * n || packed.Length < panels * k * nr)
        {
            throw new ArgumentException($"packing [{k}, {n}] needs {k * n} values into {panels * k * nr}; got {w.Length} into {packed.Length}");
        }

        for (int p = 0; p < panels; p++)
        {
            for (int i = 0; i < k; i++)
            {
                for (int j = 0; j < nr; j++)
                {
                    int col = (p * nr) + j;
                    packed[(int)((((long)p * k) + i) * nr) + j] = col < n ? w[(i * n) + col] : 0f;
                }
            }
        }
    }

    /// <summary>Bias padded to whole panels.</summary>
    public static float[] PadBias(ReadOnlySpan<float> bias, int n)
    {
        int nr = NR, panels = (n + nr - 1) / nr;
        var b = GC.AllocateArray<float>(panels * nr, pinned: true);
        bias.CopyTo(b);
        return b;
    }

    /// <summary>Computes panels [p0, p1) of C. act: 0 linear, 1 relu, 4 relu6 (others are applied afterwards).</summary>
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

    // The micro-kernels (Panel*, PanelHalf*, TwoPanels* for 512, 256 and 128 bits) are in PackedGemm.Panels.g.cs,
    // written by scripts/gen-kernels.py, the script that also writes the blocked GEMM's (Sgemm.MicroKernels.g.cs).
}
