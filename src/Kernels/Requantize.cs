using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels;

/// <summary>
/// The int8 arithmetic as every kernel computes it: round(acc · q · 2^(shift − 31)) rounding half up
/// in 64-bit integers, zero point, clamp; and float → int8 rounding half away from zero. The blob
/// contract defines the same formulas (EdgeNet.Formats.Contract.Int8Arithmetic, which the exporter and
/// the reference interpreter use); a golden test holds the two bit-equal, since the kernels depend on
/// no other EdgeNet project.
/// </summary>
internal static class Requantize
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte Apply(int acc, int multiplier, int shift, int zeroPoint, int lo, int hi = 127)
    {
        int s = 31 - shift;
        long v = (((long)acc * multiplier) + (1L << (s - 1))) >> s;
        long y = zeroPoint + Math.Clamp(v, int.MinValue, int.MaxValue);
        return (sbyte)Math.Clamp(y, lo, hi);
    }

    /// <summary>round(acc · q · 2^(shift − 31)) rounding half up, clamped to int32 (the requantization without zero point and clamp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Multiply(int acc, int multiplier, int shift)
    {
        int s = 31 - shift;
        long v = (((long)acc * multiplier) + (1L << (s - 1))) >> s;
        return (int)Math.Clamp(v, int.MinValue, int.MaxValue);
    }

    /// <summary>True when 31 − shift is in 1..62, the shifts <see cref="Apply"/> can take.</summary>
    public static bool ShiftInRange(int shift) => 31 - shift is >= 1 and <= 62;

    /// <summary>q = clamp(round_half_away(x / scale) + zp, −128, 127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte Quantize(float x, float scale, int zeroPoint) =>
        (sbyte)Math.Clamp((int)Math.Clamp(MathF.Round(x / scale, MidpointRounding.AwayFromZero), -1024f, 1024f) + zeroPoint, -128, 127);
}

/// <summary>
/// A layer's requantization table widened once at Prepare so a block of accumulators is
/// requantized 8 channels at a time with AVX-512 (64-bit multiply and per-lane arithmetic
/// shift); bit-exact with <see cref="Requantize.Apply"/> (the final clamp to [lo, hi] makes the
/// intermediate int32 clamp a no-op).
/// </summary>
internal sealed unsafe class RequantTable
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
            if (!Requantize.ShiftInRange(requant[n + c]))
            {
                throw new ArgumentException($"channel {c}: requantization shift {requant[n + c]} is outside -31..30");
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
    public void Block(int* acc, int rows, int c0, int c1, int zeroPoint, int lo, sbyte* y, int hi = 127)
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
                    var hiv = Vector512.Create((long)hi);
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
                    yr[c] = Requantize.Apply(a[c], rq[c], rq[N + c], zeroPoint, lo, hi);
                }
            }
        }
    }
}
