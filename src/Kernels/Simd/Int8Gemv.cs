using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels.Simd;

/// <summary>One int8 row against int8 weights as the blob stores them: the batch-1 dense layer (a classifier head).</summary>
internal static unsafe partial class Int8Gemm
{
    /// <summary>Bytes a weight matrix needs readable after its last element for <see cref="Gemv"/> (a whole 64-channel block).</summary>
    public const int GemvPadding = 64;

    /// <summary>Whether <see cref="Gemv"/> runs on this machine (AVX-512BW, where the kernels requantize in the registers).</summary>
    public static bool GemvSupported => VectorLanes == 16;

    /// <summary>Rows of weights per pass over a row's channels: 256 rows of a block's two cache lines stay in L1 for the next block.</summary>
    private const int GemvRows = 256;

    /// <summary>
    /// y = requantized (bias0 + x·w) for one row, output panels [p0, p1) of 32 channels, reading the int8 weights
    /// [k, n] row-major (not the int16 packing: a batch-1 dense layer is bound by the weight bytes it streams, and these
    /// are half as many). Two rows of weights at a time: each sign-extended to int16 and multiplied by its x (vpmullw:
    /// |128 · 127| fits), the two products added in int16 (|2 · 128 · 127| &lt; 2^15), widened and summed in int32 — the
    /// exact sums of the pair kernels, requantized as they are. 64 channels at a time (four accumulators) over
    /// <see cref="GemvRows"/> rows, the partial sums kept in <paramref name="acc"/> between those passes, so each cache
    /// line of weights comes from memory once. x: [k] int8; w: [k, n] int8 with <see cref="GemvPadding"/> readable bytes
    /// after it; bias0, table: padded to whole panels; acc: [n padded to whole panels] int32 scratch; y: [n] int8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gemv(sbyte* x, int k, sbyte* w, int* bias0, int* acc, RequantTable table, int zeroPoint, int lo, int hi, sbyte* y, int p0, int p1)
    {
        int n = table.N, nr = Lanes, c0 = p0 * nr, c1 = Math.Min(n, p1 * nr);
        for (int i0 = 0; i0 < k; i0 += GemvRows)
        {
            int i1 = Math.Min(k, i0 + GemvRows);
            int* from = i0 == 0 ? bias0 : acc;
            for (int c = c0; c < c1; c += 2 * nr)
            {
                // Channels [c, c + 64): s0..s3 [16] int32 each (the last block's upper half only where it has channels).
                bool upper = c + nr < c1;
                var s0 = Vector512.Load(from + c);
                var s1 = Vector512.Load(from + c + 16);
                var s2 = upper ? Vector512.Load(from + c + 32) : Vector512<int>.Zero;
                var s3 = upper ? Vector512.Load(from + c + 48) : Vector512<int>.Zero;
                sbyte* wc = w + ((long)i0 * n) + c;
                int i = i0;
                for (; i + 2 <= i1; i += 2, wc += 2 * (long)n)
                {
                    var xa = Vector512.Create((short)x[i]);
                    var xb = Vector512.Create((short)x[i + 1]);
                    Accumulate((Widened(wc) * xa) + (Widened(wc + n) * xb), ref s0, ref s1);
                    Accumulate((Widened(wc + 32) * xa) + (Widened(wc + n + 32) * xb), ref s2, ref s3);
                }

                if (i < i1)
                {
                    var xa = Vector512.Create((short)x[i]);
                    Accumulate(Widened(wc) * xa, ref s0, ref s1);
                    Accumulate(Widened(wc + 32) * xa, ref s2, ref s3);
                }

                if (i1 < k)
                {
                    s0.Store(acc + c);
                    s1.Store(acc + c + 16);
                    if (upper)
                    {
                        s2.Store(acc + c + 32);
                        s3.Store(acc + c + 48);
                    }

                    continue;
                }

                new RequantRows(y + c, n, table.Scales + c, zeroPoint, lo, hi).Store(0, s0, s1, Math.Min(nr, c1 - c));
                if (upper)
                {
                    new RequantRows(y + c + nr, n, table.Scales + c + nr, zeroPoint, lo, hi).Store(0, s2, s3, Math.Min(nr, c1 - c - nr));
                }
            }
        }
    }

    /// <summary>32 int8 weights as int16 (vpmovsxbw).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Widened(sbyte* w) => Avx512BW.ConvertToVector512Int16(Vector256.Load(w));

    /// <summary>32 int16 products into two vectors of 16 int32 sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(Vector512<short> p, ref Vector512<int> lower, ref Vector512<int> upper)
    {
        lower += Avx512F.ConvertToVector512Int32(p.GetLower());
        upper += Avx512F.ConvertToVector512Int32(p.GetUpper());
    }
}
