using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels.Simd;

/// <summary>Vectorized float ↔ int8 conversion with a per-tensor scale and zero point (bit-equal to the reference).</summary>
internal static unsafe class Quantize
{
    /// <summary>
    /// Same rounding as the reference (x / scale, half away from zero): t clamped to ±1024 as the reference clamps,
    /// then truncated after adding the float just below one half with t's sign — exact for every float in that range
    /// (checked exhaustively: adding 0.5 itself would carry values just below a half up), NaN becoming the zero point as in the
    /// reference's saturating conversion. Four vectors per step narrow to one vector of int8 (32 values with AVX2, 16 with
    /// 128-bit SIMD); AVX-512 narrows 16 with saturation (vpmovsdb), which is the reference's final clamp, and divides
    /// by the reciprocal where <see cref="QuotientByReciprocal"/> allows, x clamped to ±1025·scale in place of t to ±1024
    /// (every quotient beyond ±1024 saturates the same after the zero point is added).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToInt8(float* x, sbyte* q, int n, float scale, int zp)
    {
        // x: [n] floats, q: [n] int8
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            // 16 per step: vcvttps2dq of the biased t, + zp, vpmovsdb (saturating: the clamp to [−128, 127]); x / s as
            // the reciprocal's product corrected by one FMA residual, where the scale allows it (QuotientByReciprocal).
            var s = Vector512.Create(scale);
            var z = Vector512.Create(zp);
            if (QuotientByReciprocal(scale))
            {
                var r = Vector512.Create(1f / scale);
                var bound = Vector512.Create(1025f * scale);
                for (; i + 16 <= n; i += 16)
                {
                    Avx512F.ConvertToVector128SByteWithSaturation(QuantizedByReciprocal(Vector512.Load(x + i), s, r, bound, z)).Store(q + i);
                }
            }

            for (; i + 16 <= n; i += 16)
            {
                Avx512F.ConvertToVector128SByteWithSaturation(Quantized(Vector512.Load(x + i), s, z)).Store(q + i);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<int>.Count;
            var s = new Vector<float>(scale);
            var z = new Vector<int>(zp);
            for (; i + (4 * w) <= n; i += 4 * w)
            {
                var v0 = Quantized(Unsafe.ReadUnaligned<Vector<float>>(x + i), s, z);
                var v1 = Quantized(Unsafe.ReadUnaligned<Vector<float>>(x + i + w), s, z);
                var v2 = Quantized(Unsafe.ReadUnaligned<Vector<float>>(x + i + (2 * w)), s, z);
                var v3 = Quantized(Unsafe.ReadUnaligned<Vector<float>>(x + i + (3 * w)), s, z);
                // Already in [-128, 127], so narrowing (which drops the high halves) keeps every value.
                Unsafe.WriteUnaligned(q + i, Vector.Narrow(Vector.Narrow(v0, v1), Vector.Narrow(v2, v3)));
            }
        }

        Reference.Quantize.ToInt8(x + i, q + i, n - i, scale, zp);
    }

    /// <summary>The float just below one half: t + copysign(it, t) truncates to t rounded half away from zero for |t| ≤ 1024 (and beyond, to 1025 or 1026, where the result saturates anyway).</summary>
    private const float BelowHalf = 0.49999997f;

    /// <summary>clamp(round_half_away(x / s) + z, −128, 127) per lane; NaN gives z.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<int> Quantized(Vector<float> x, Vector<float> s, Vector<int> z)
    {
        var t = x / s;
        var c = Vector.MinNative(Vector.MaxNative(t, new Vector<float>(-1024f)), new Vector<float>(1024f));
        var r = Vector.ConvertToInt32Native(c + Vector.CopySign(new Vector<float>(BelowHalf), c));
        r = Vector.ConditionalSelect(Vector.Equals(t, t), r, Vector<int>.Zero);
        return Vector.Min(Vector.Max(r + z, new Vector<int>(-128)), new Vector<int>(127));
    }

    /// <summary>round_half_away(x / s) + z per lane before the clamp to [−128, 127] (the caller's saturating narrow); NaN gives z.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Quantized(Vector512<float> x, Vector512<float> s, Vector512<int> z)
    {
        var t = x / s;
        var c = Vector512.MinNative(Vector512.MaxNative(t, Vector512.Create(-1024f)), Vector512.Create(1024f));
        var r = Avx512F.ConvertToVector512Int32WithTruncation(c + Vector512.CopySign(Vector512.Create(BelowHalf), c));
        return Vector512.ConditionalSelect(Vector512.Equals(t, t).AsInt32(), r, Vector512<int>.Zero) + z;
    }

    /// <summary>
    /// Whether x / scale may be computed as Markstein's corrected quotient (q = x·r, r = 1/scale rounded; then
    /// q + (x − q·scale)·r, the residual exact by FMA), which is x / scale correctly rounded when nothing overflows or
    /// underflows: x is clamped to ±1025·scale first (every quotient beyond ±1024 saturates the same), and the scale must
    /// leave that range, its reciprocal and the products normal floats. Checked exhaustively against the division (every
    /// finite float, eleven scales from 3.1e−5 to 12.34, the codes before the zero point).
    /// </summary>
    private static bool QuotientByReciprocal(float scale) => scale is >= 1e-30f and <= 1e30f;

    /// <summary>As <see cref="Quantized(Vector512{float}, Vector512{float}, Vector512{int})"/> with x / s by the reciprocal r (<see cref="QuotientByReciprocal"/>); bound = 1025·s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> QuantizedByReciprocal(Vector512<float> x, Vector512<float> s, Vector512<float> r, Vector512<float> bound, Vector512<int> z)
    {
        // |c| stays below 1026, so no ±1024 clamp: the codes beyond it saturate at the narrowing as the reference's do.
        var xc = Vector512.MinNative(Vector512.MaxNative(x, -bound), bound);
        var q0 = xc * r;
        var c = Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(-q0, s, xc), r, q0);
        var t = Avx512F.ConvertToVector512Int32WithTruncation(c + Vector512.CopySign(Vector512.Create(BelowHalf), c));
        return Vector512.ConditionalSelect(Vector512.Equals(x, x).AsInt32(), t, Vector512<int>.Zero) + z;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToFloat(sbyte* q, float* x, int n, float scale, int zp)
    {
        // q: [n] int8 → x: [n] floats, scale · (q − zp): the difference is a small integer, exact as a float, so one
        // rounding (the product), as the reference. It had been a scalar widening loop and two passes: 150,528 values in ~318 µs.
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            var s = Vector512.Create(scale);
            var z = Vector512.Create(zp);
            for (; i + 16 <= n; i += 16)
            {
                (Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.Load(q + i)) - z) * s).Store(x + i);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            // Four vectors of floats per vector of int8 codes, widened twice (sbyte → short → int).
            int w = Vector<int>.Count;
            var s = new Vector<float>(scale);
            var z = new Vector<int>(zp);
            for (; i + (4 * w) <= n; i += 4 * w)
            {
                Vector.Widen(Unsafe.ReadUnaligned<Vector<sbyte>>(q + i), out var lo, out var hi);
                Vector.Widen(lo, out var i0, out var i1);
                Vector.Widen(hi, out var i2, out var i3);
                Unsafe.WriteUnaligned(x + i, Vector.ConvertToSingle(i0 - z) * s);
                Unsafe.WriteUnaligned(x + i + w, Vector.ConvertToSingle(i1 - z) * s);
                Unsafe.WriteUnaligned(x + i + (2 * w), Vector.ConvertToSingle(i2 - z) * s);
                Unsafe.WriteUnaligned(x + i + (3 * w), Vector.ConvertToSingle(i3 - z) * s);
            }
        }

        Reference.Quantize.ToFloat(q + i, x + i, n - i, scale, zp);
    }
}
