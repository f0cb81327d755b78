using EdgeNet.Formats.Contract;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Runtime.Kernels;

/// <summary>
/// A layer's requantization table widened once at Prepare so a block of accumulators is
/// requantized 8 channels at a time with AVX-512 (64-bit multiply and per-lane arithmetic
/// shift); bit-exact with <see cref="Int8Arithmetic.Requantize"/> (the final clamp to [lo, 127] makes the
/// intermediate int32 clamp a no-op).
/// </summary>
public sealed unsafe class RequantTable
{
    private readonly long[] _mult;
    private readonly long[] _round;
    private readonly ulong[] _shift;
    private readonly int[] _requant;

    public RequantTable(ReadOnlySpan<int> requant, int n)
    {
        _requant = GC.AllocateArray<int>(2 * n, pinned: true);
        requant.CopyTo(_requant);
        int padded = (n + 7) / 8 * 8;
        _mult = GC.AllocateArray<long>(padded, pinned: true);
        _round = GC.AllocateArray<long>(padded, pinned: true);
        _shift = GC.AllocateArray<ulong>(padded, pinned: true);
        for (int c = 0; c < n; c++)
        {
            if (Int8Arithmetic.ShiftProblem(requant[n + c]) is { } problem)
            {
                throw new ArgumentException($"channel {c}: {problem}");
            }

            int s = 31 - requant[n + c];
            _mult[c] = requant[c];
            _round[c] = 1L << (s - 1);
            _shift[c] = (ulong)s;
        }

        N = n;
    }

    public int N { get; }

    public static bool Vectorized => Avx512F.IsSupported && Avx512DQ.IsSupported;

    /// <summary>y[r, c] for c in [c0, c1) of a [rows, N] accumulator block.</summary>
    public void Block(int* acc, int rows, int c0, int c1, int zeroPoint, int lo, sbyte* y)
    {
        fixed (long* m = _mult, rd = _round)
        fixed (ulong* sh = _shift)
        fixed (int* rq = _requant)
        {
            for (int r = 0; r < rows; r++)
            {
                int* a = acc + ((long)r * N);
                sbyte* yr = y + ((long)r * N);
                int c = c0;
                if (Vectorized)
                {
                    var zp = Vector512.Create((long)zeroPoint);
                    var lov = Vector512.Create((long)lo);
                    var hiv = Vector512.Create(127L);
                    for (; c + 8 <= c1; c += 8)
                    {
                        var v = Avx512F.ConvertToVector512Int64(Vector256.Load(a + c));
                        v = (v * Vector512.Load(m + c)) + Vector512.Load(rd + c);
                        v = Avx512F.ShiftRightArithmeticVariable(v, Vector512.Load(sh + c));
                        v = Vector512.Min(Vector512.Max(v + zp, lov), hiv);
                        var bytes = Avx512F.ConvertToVector128SByte(v);
                        *(long*)(yr + c) = bytes.AsInt64().ToScalar();
                    }
                }

                for (; c < c1; c++)
                {
                    yr[c] = Int8Arithmetic.Requantize(a[c], rq[c], rq[N + c], zeroPoint, lo);
                }
            }
        }
    }
}
