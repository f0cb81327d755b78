using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeNet.Kernels.Simd;

/// <summary>Vectorized float ↔ int8 conversion with a per-tensor scale and zero point (bit-equal to the reference).</summary>
internal static unsafe class Quantize
{
    /// <summary>
    /// Same rounding as the reference (x / scale, half away from zero): |t| splits exactly into
    /// floor and fraction, the fraction decides, the sign comes back; NaN becomes the zero point as
    /// in the reference's saturating conversion. tmp is unused (kept for the scratch contract).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToInt8(float* x, sbyte* q, int n, float scale, int zp, float* tmp)
    {
        _ = tmp;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(scale);
            var half = Vector256.Create(0.5f);
            var one = Vector256.Create(1f);
            var big = Vector256.Create(1024f);
            var z = Vector256.Create(zp);
            var lo = Vector256.Create(-128);
            var hi = Vector256.Create(127);
            for (; i + 8 <= n; i += 8)
            {
                var t = Vector256.Load(x + i) / s;
                var a = Vector256.Min(Vector256.Abs(t), big);
                var f = Vector256.Floor(a);
                var r = f + (Vector256.GreaterThanOrEqual(a - f, half) & one);
                r = Vector256.ConditionalSelect(Vector256.LessThan(t, Vector256<float>.Zero), -r, r);
                r = Vector256.ConditionalSelect(Vector256.Equals(t, t), r, Vector256<float>.Zero);
                var v = Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(r) + z, lo), hi);
                var w = Vector256.Narrow(v, v);
                var b = Vector256.Narrow(w, w);
                *(long*)(q + i) = b.AsInt64().GetElement(0);
            }
        }

        Reference.Quantize.ToInt8(x + i, q + i, n - i, scale, zp);
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
