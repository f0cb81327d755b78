using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Benchmarks;

/// <summary>
/// The int8 compute ceiling of this core as EdgeNet's x64 int8 kernels reach it, measured like
/// <see cref="Program.MeasureFmaPeak"/> so the two compare: without AVX512-VNNI, independent chains of the pair
/// multiply-add the C# panels run (vpmaddwd + vpaddd: 32 multiply-accumulates per two 512-bit instructions, 16 at 256
/// bits), no memory traffic — against the FMA peak (16 per instruction) about 1.0–1.1× on this VM's cores, which is
/// all int8 can gain over f32 where both are compute-bound; with it, the VNNI quad panel kernel the pointwise
/// convolutions and dense layers run (<c>Int8Vnni.QuadPanel</c>, one vpdpbusd for four k's) on cache-resident data.
/// </summary>
internal static class Int8Peak
{
    /// <summary>What <see cref="GigaMacs"/> measures on this machine.</summary>
    public static string Instruction => EdgeNet.Kernels.Simd.Int8Vnni.Available ? "the VNNI quad panel (vpdpbusd) on cache-resident data" : "vpmaddwd + vpaddd";

    /// <summary>
    /// Single-thread int8 multiply-accumulates per second (G) in one continuous run of about <paramref name="seconds"/>:
    /// with AVX512-VNNI the int8 quad panel kernel itself on data that stays in cache (64 rows, K = 256, 32 channels:
    /// 24 KB of activations and weights; its requantized stores included); otherwise independent pair chains. 0 where the
    /// pair kernels are not x64's.
    /// </summary>
    public static double GigaMacs(double seconds)
    {
        if (EdgeNet.Kernels.Simd.Int8Vnni.Available)
        {
            return VnniPanel(seconds);
        }

        if (!Avx2.IsSupported)
        {
            return 0;
        }

        bool wide = Vector512.IsHardwareAccelerated && Avx512BW.IsSupported;
        long t0 = Stopwatch.GetTimestamp();
        int sink = wide ? Chains512(1_000_000) : Chains256(1_000_000);
        int iters = (int)Math.Clamp(1_000_000 * seconds / Stopwatch.GetElapsedTime(t0).TotalSeconds, 1e6, 2e9);
        t0 = Stopwatch.GetTimestamp();
        sink += wide ? Chains512(iters) : Chains256(iters);
        double secs = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return (12.0 * (wide ? 32 : 16) * iters / secs / 1e9) + (sink == 12345 ? 1e-9 : 0);
    }

    private static unsafe double VnniPanel(double seconds)
    {
        const int rows = 64, quads = 64;
        byte* x = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(rows * quads * 4, 64);
        sbyte* w = (sbyte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(quads * 128, 64);
        int* bias = (int*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(32 * sizeof(int), 64);
        float* scales = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(32 * sizeof(float), 64);
        sbyte* y = (sbyte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(rows * 32, 64);
        try
        {
            for (int i = 0; i < rows * quads * 4; i++)
            {
                x[i] = (byte)(i % 255);
            }

            for (int i = 0; i < quads * 128; i++)
            {
                w[i] = (sbyte)((i % 251) - 125);
            }

            new Span<float>(scales, 32).Fill(1e-4f);
            new Span<int>(bias, 32).Clear();
            void Run(int calls)
            {
                for (int i = 0; i < calls; i++)
                {
                    EdgeNet.Kernels.Simd.Int8Vnni.QuadPanel(x, quads * 4, rows, quads, w, bias, scales, y, 32, 32, 0, -128, 127);
                }
            }

            long t0 = Stopwatch.GetTimestamp();
            Run(1000);
            int calls = (int)Math.Clamp(1000 * seconds / Stopwatch.GetElapsedTime(t0).TotalSeconds, 1000, 1e8);
            t0 = Stopwatch.GetTimestamp();
            Run(calls);
            return (double)rows * quads * 4 * 32 * calls / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9;
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(x);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(w);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(bias);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(scales);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(y);
        }
    }

    /// <summary>
    /// Twelve chains c ← c + vpmaddwd(c, w): each product reads its own chain (a loop-invariant operand would be hoisted),
    /// so the twelve pairs of every iteration are independent; eight did not cover the chain's latency here (about six
    /// cycles: 71 against 92 G multiply-adds/s in C with the same loop).
    /// </summary>
    private static int Chains512(int iters)
    {
        var w = Vector512.Create((short)3);
        Vector512<int> c0 = Vector512.Create(1), c1 = Vector512.Create(2), c2 = Vector512.Create(3), c3 = Vector512.Create(4), c4 = Vector512.Create(5), c5 = Vector512.Create(6);
        Vector512<int> c6 = Vector512.Create(7), c7 = Vector512.Create(8), c8 = Vector512.Create(9), c9 = Vector512.Create(10), c10 = Vector512.Create(11), c11 = Vector512.Create(12);
        for (int i = 0; i < iters; i++)
        {
            c0 += Avx512BW.MultiplyAddAdjacent(c0.AsInt16(), w); c1 += Avx512BW.MultiplyAddAdjacent(c1.AsInt16(), w); c2 += Avx512BW.MultiplyAddAdjacent(c2.AsInt16(), w);
            c3 += Avx512BW.MultiplyAddAdjacent(c3.AsInt16(), w); c4 += Avx512BW.MultiplyAddAdjacent(c4.AsInt16(), w); c5 += Avx512BW.MultiplyAddAdjacent(c5.AsInt16(), w);
            c6 += Avx512BW.MultiplyAddAdjacent(c6.AsInt16(), w); c7 += Avx512BW.MultiplyAddAdjacent(c7.AsInt16(), w); c8 += Avx512BW.MultiplyAddAdjacent(c8.AsInt16(), w);
            c9 += Avx512BW.MultiplyAddAdjacent(c9.AsInt16(), w); c10 += Avx512BW.MultiplyAddAdjacent(c10.AsInt16(), w); c11 += Avx512BW.MultiplyAddAdjacent(c11.AsInt16(), w);
        }

        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11)[0];
    }

    private static int Chains256(int iters)
    {
        var w = Vector256.Create((short)3);
        Vector256<int> c0 = Vector256.Create(1), c1 = Vector256.Create(2), c2 = Vector256.Create(3), c3 = Vector256.Create(4), c4 = Vector256.Create(5), c5 = Vector256.Create(6);
        Vector256<int> c6 = Vector256.Create(7), c7 = Vector256.Create(8), c8 = Vector256.Create(9), c9 = Vector256.Create(10), c10 = Vector256.Create(11), c11 = Vector256.Create(12);
        for (int i = 0; i < iters; i++)
        {
            c0 += Avx2.MultiplyAddAdjacent(c0.AsInt16(), w); c1 += Avx2.MultiplyAddAdjacent(c1.AsInt16(), w); c2 += Avx2.MultiplyAddAdjacent(c2.AsInt16(), w);
            c3 += Avx2.MultiplyAddAdjacent(c3.AsInt16(), w); c4 += Avx2.MultiplyAddAdjacent(c4.AsInt16(), w); c5 += Avx2.MultiplyAddAdjacent(c5.AsInt16(), w);
            c6 += Avx2.MultiplyAddAdjacent(c6.AsInt16(), w); c7 += Avx2.MultiplyAddAdjacent(c7.AsInt16(), w); c8 += Avx2.MultiplyAddAdjacent(c8.AsInt16(), w);
            c9 += Avx2.MultiplyAddAdjacent(c9.AsInt16(), w); c10 += Avx2.MultiplyAddAdjacent(c10.AsInt16(), w); c11 += Avx2.MultiplyAddAdjacent(c11.AsInt16(), w);
        }

        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11)[0];
    }
}
