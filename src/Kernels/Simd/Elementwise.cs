using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace EdgeNet.Kernels.Simd;

/// <summary>Vectorized element-wise addition of two values (a residual connection), float and int8 (bit-exact with the reference).</summary>
internal static unsafe class Elementwise
{
    // a, b, y: [n]  →  y = act(a + b); act 0 linear, 1 relu, 4 relu6
    public static void Add(float* a, float* b, int n, int act, float* y)
    {
        var ys = new Span<float>(y, n);
        TensorPrimitives.Add(new ReadOnlySpan<float>(a, n), new ReadOnlySpan<float>(b, n), ys);
        if (act != Reference.Activations.Linear)
        {
            Activations.Apply(act, ys, ys);
        }
    }

    // a, b, y: [n] int8, requant [2, 3] as Reference.Elementwise.AddInt8: the rescaling in 64-bit lanes, rounding half up.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddInt8(sbyte* a, int za, sbyte* b, int zb, int n, int* requant, int zy, int lo, int hi, sbyte* y)
    {
        int i = 0, lanes = Vector<int>.Count;
        if (Vector.IsHardwareAccelerated && Vector<long>.Count * 2 == lanes)
        {
            var ma = new Vector<long>(requant[0]);
            var mb = new Vector<long>(requant[1]);
            var my = new Vector<long>(requant[2]);
            int sa = 31 - requant[3], sb = 31 - requant[4], sy = 31 - requant[5];
            var ra = new Vector<long>(1L << (sa - 1));
            var rb = new Vector<long>(1L << (sb - 1));
            var ry = new Vector<long>(1L << (sy - 1));
            var zav = new Vector<int>(za);
            var zbv = new Vector<int>(zb);
            var zyv = new Vector<long>(zy);
            var lov = new Vector<long>(lo);
            var hiv = new Vector<long>(hi);
            Span<int> tmp = stackalloc int[lanes];
            for (; i + lanes <= n; i += lanes)
            {
                var av = (Load(a + i, tmp) - zav) << Reference.Elementwise.AddLeftShift;
                var bv = (Load(b + i, tmp) - zbv) << Reference.Elementwise.AddLeftShift;
                Vector.Widen(av, out Vector<long> a0, out Vector<long> a1);
                Vector.Widen(bv, out Vector<long> b0, out Vector<long> b1);
                var s0 = Clamp32(((a0 * ma) + ra) >> sa) + Clamp32(((b0 * mb) + rb) >> sb);
                var s1 = Clamp32(((a1 * ma) + ra) >> sa) + Clamp32(((b1 * mb) + rb) >> sb);
                var y0 = Vector.Min(Vector.Max(zyv + Clamp32(((Clamp32(s0) * my) + ry) >> sy), lov), hiv);
                var y1 = Vector.Min(Vector.Max(zyv + Clamp32(((Clamp32(s1) * my) + ry) >> sy), lov), hiv);
                // Narrow the two halves' int64 lanes (already in [lo, hi]) back to int8.
                var n32 = Vector.Narrow(y0, y1);
                for (int k = 0; k < lanes; k++)
                {
                    y[i + k] = (sbyte)n32[k];
                }
            }
        }

        Reference.Elementwise.AddInt8(a + i, za, b + i, zb, n - i, requant, zy, lo, hi, y + i);
    }

    private static Vector<long> Clamp32(Vector<long> v) => Vector.Min(Vector.Max(v, new Vector<long>(int.MinValue)), new Vector<long>(int.MaxValue));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<int> Load(sbyte* p, Span<int> tmp)
    {
        if (Vector<int>.Count == 8 && System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            return System.Runtime.Intrinsics.Vector256.AsVector(System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32(p));   // vpmovsxbd
        }

        if (Vector<int>.Count == 4)
        {
            var b = System.Runtime.Intrinsics.Vector128.AsSByte(System.Runtime.Intrinsics.Vector128.CreateScalar(*(int*)p));
            return System.Runtime.Intrinsics.Vector128.AsVector(System.Runtime.Intrinsics.Vector128.WidenLower(System.Runtime.Intrinsics.Vector128.WidenLower(b)));
        }

        for (int k = 0; k < tmp.Length; k++)
        {
            tmp[k] = p[k];
        }

        return new Vector<int>(tmp);
    }
}
