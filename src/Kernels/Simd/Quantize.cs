using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels.Simd;

/// <summary>Vectorized float ↔ int8 conversion with a per-tensor scale and zero point (bit-equal to the reference).</summary>
internal static unsafe class Quantize
{
    /// <summary>
    /// Same rounding as the reference (x / scale, half away from zero): |t| splits exactly into
    /// floor and fraction, the fraction decides, the sign comes back; NaN becomes the zero point as
    /// in the reference's saturating conversion. Four vectors per step narrow to one vector of int8
    /// (32 values with AVX2, 16 with 128-bit SIMD).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToInt8(float* x, sbyte* q, int n, float scale, int zp)
    {
        // x: [n] floats, q: [n] int8
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            // 16 per step: vcvttps2dq (the floor of |t| <= 1024, exact), vpmovdb (values already in range).
            var s = Vector512.Create(scale);
            var z = Vector512.Create(zp);
            for (; i + 16 <= n; i += 16)
            {
                Avx512F.ConvertToVector128SByte(Quantized(Vector512.Load(x + i), s, z)).Store(q + i);
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

    /// <summary>clamp(round_half_away(x / s) + z, −128, 127) per lane; NaN gives z.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<int> Quantized(Vector<float> x, Vector<float> s, Vector<int> z)
    {
        var t = x / s;
        var a = Vector.Min(Vector.Abs(t), new Vector<float>(1024f));
        var whole = Vector.ConvertToInt32(a);   // a >= 0: truncation is the floor
        var up = Vector.GreaterThanOrEqual(a - Vector.ConvertToSingle(whole), new Vector<float>(0.5f));   // -1 where the fraction is >= 0.5
        var r = whole - up;
        r = Vector.ConditionalSelect(Vector.LessThan(t, Vector<float>.Zero), -r, r);
        r = Vector.ConditionalSelect(Vector.Equals(t, t), r, Vector<int>.Zero);
        return Vector.Min(Vector.Max(r + z, new Vector<int>(-128)), new Vector<int>(127));
    }

    /// <summary>The same as <see cref="Quantized(Vector{float}, Vector{float}, Vector{int})"/>, 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Quantized(Vector512<float> x, Vector512<float> s, Vector512<int> z)
    {
        var t = x / s;
        var a = Vector512.Min(Vector512.Abs(t), Vector512.Create(1024f));
        var whole = Avx512F.ConvertToVector512Int32WithTruncation(a);
        var up = Vector512.GreaterThanOrEqual(a - Vector512.ConvertToSingle(whole), Vector512.Create(0.5f)).AsInt32();
        var r = whole - up;
        r = Vector512.ConditionalSelect(Vector512.LessThan(t, Vector512<float>.Zero).AsInt32(), -r, r);
        r = Vector512.ConditionalSelect(Vector512.Equals(t, t).AsInt32(), r, Vector512<int>.Zero);
        return Vector512.Min(Vector512.Max(r + z, Vector512.Create(-128)), Vector512.Create(127));
    }

    public static void ToFloat(sbyte* q, float* x, int n, float scale, int zp)
    {
        var d = new Span<float>(x, n);
        for (int i = 0; i < n; i++)
        {
            d[i] = q[i];
        }

        TensorPrimitives.Subtract(d, zp, d);
        TensorPrimitives.Multiply(d, scale, d);
    }
}
