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
/// requantized several channels at a time: 8 with AVX-512 (64-bit multiply and per-lane arithmetic
/// shift), 4 with AVX2 (vpmuldq's exact 32×32→64 products; the arithmetic shift as a logical one of
/// v + 2^62, which is positive and a multiple of every 2^s, minus 2^(62 − s)), 2 with NEON (smull, sshl
/// by −s); bit-exact with <see cref="Requantize.Apply"/> (the final clamp to [lo, hi] makes the
/// intermediate int32 clamp a no-op).
/// </summary>
internal sealed unsafe class RequantTable
{
    private readonly long[] _mult;
    private readonly long[] _round;
    private readonly ulong[] _shift;
    private readonly long[] _bias62;   // 2^(62 − s): the AVX2 path's shift of v + 2^62
    private readonly int[] _requant;

    public RequantTable(ReadOnlySpan<int> requant, int n)
    {
        _requant = GC.AllocateArray<int>(2 * n, pinned: true);
        requant.CopyTo(_requant);
        int padded = (n + 7) / 8 * 8;
        _mult = GC.AllocateArray<long>(padded, pinned: true);
        _round = GC.AllocateArray<long>(padded, pinned: true);
        _shift = GC.AllocateArray<ulong>(padded, pinned: true);
        _bias62 = GC.AllocateArray<long>(padded, pinned: true);
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
            _bias62[c] = 1L << (62 - s);
        }

        N = n;
    }

    public int N { get; }

    public static bool Vectorized => Avx512F.IsSupported && Avx512DQ.IsSupported;

    /// <summary>Which vector path <see cref="Block"/> takes on this machine.</summary>
    public static string Path => Vectorized ? "avx512" : Avx2.IsSupported ? "avx2" : System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "neon" : "scalar";

    /// <summary>y[r, c] for c in [c0, c1) of a [rows, N] accumulator block.</summary>
    public void Block(int* acc, int rows, int c0, int c1, int zeroPoint, int lo, sbyte* y, int hi = 127)
    {
        fixed (long* m = _mult, rd = _round, b62 = _bias62)
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
                else if (Avx2.IsSupported)
                {
                    var zp = Vector256.Create((long)zeroPoint);
                    var lov = Vector256.Create((long)lo);
                    var hiv = Vector256.Create((long)hi);
                    var big = Vector256.Create(1L << 62);
                    for (; c + 4 <= c1; c += 4)
                    {
                        // acc and the multipliers sign-extended to 64-bit lanes: vpmuldq multiplies their low halves exactly.
                        var a64 = Avx2.ConvertToVector256Int64(Vector128.Load(a + c));
                        var v = Avx2.Multiply(a64.AsInt32(), Vector256.Load(m + c).AsInt32()) + Vector256.Load(rd + c);
                        var shifted = Avx2.ShiftRightLogicalVariable((v + big).AsUInt64(), Vector256.Load(sh + c)).AsInt64() - Vector256.Load(b62 + c);
                        var q = shifted + zp;
                        q = Avx2.BlendVariable(q, lov, Avx2.CompareGreaterThan(lov, q).AsInt64());
                        q = Avx2.BlendVariable(q, hiv, Avx2.CompareGreaterThan(q, hiv).AsInt64());
                        yr[c] = (sbyte)q.GetElement(0);
                        yr[c + 1] = (sbyte)q.GetElement(1);
                        yr[c + 2] = (sbyte)q.GetElement(2);
                        yr[c + 3] = (sbyte)q.GetElement(3);
                    }
                }
                else if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported)
                {
                    var zp = Vector128.Create((long)zeroPoint);
                    var lov = Vector128.Create((long)lo);
                    var hiv = Vector128.Create((long)hi);
                    for (; c + 2 <= c1; c += 2)
                    {
                        // smull: two exact 32×32→64 products; sshl by −s: the arithmetic shift right, per lane.
                        var v = System.Runtime.Intrinsics.Arm.AdvSimd.MultiplyWideningLower(Vector64.Load(a + c), Vector64.Create(rq[c], rq[c + 1])) + Vector128.Load(rd + c);
                        var shifted = System.Runtime.Intrinsics.Arm.AdvSimd.ShiftArithmetic(v, Vector128.Negate(Vector128.Load(sh + c).AsInt64()));
                        var q = Vector128.Min(Vector128.Max(shifted + zp, lov), hiv);
                        yr[c] = (sbyte)q.GetElement(0);
                        yr[c + 1] = (sbyte)q.GetElement(1);
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
