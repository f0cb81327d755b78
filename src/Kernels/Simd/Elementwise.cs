using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels.Simd;

/// <summary>Vectorized element-wise addition (a residual connection) and product (squeeze-and-excitation) of two values, float and int8 (bit-exact with the reference).</summary>
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

    // a, b, y: [n] int8, requant [2, 3] as Reference.Elementwise.AddInt8: the rescaling in 64-bit lanes, rounding half up;
    // four vectors of results narrowed to bytes together (int32 → int16 → int8: the values are already in [lo, hi]).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddInt8(sbyte* a, int za, sbyte* b, int zb, int n, int* requant, int zy, int lo, int hi, sbyte* y)
    {
        int i = Vector512.IsHardwareAccelerated && Avx512DQ.IsSupported ? AddInt8Wide(a, za, b, zb, n, requant, zy, lo, hi, y)
            : Vector.IsHardwareAccelerated && Vector<long>.Count * 2 == Vector<int>.Count ? Pairs(new AddRequant(requant, za, zb, zy, lo, hi), a, b, n, y) : 0;
        Reference.Elementwise.AddInt8(a + i, za, b + i, zb, n - i, requant, zy, lo, hi, y + i);
    }

    // The same with AVX-512, 16 per step: vpmovsxbd, the three rescalings in 64-bit lanes (vpmullq, vpsraq), vpmovqb;
    // returns how many it did (whole vectors), the tail is the caller's.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int AddInt8Wide(sbyte* a, int za, sbyte* b, int zb, int n, int* requant, int zy, int lo, int hi, sbyte* y)
    {
        var (ma, mb, my) = (Vector512.Create((long)requant[0]), Vector512.Create((long)requant[1]), Vector512.Create((long)requant[2]));
        int sa = 31 - requant[3], sb = 31 - requant[4], sy = 31 - requant[5];
        var (ra, rb, ry) = (Vector512.Create(1L << (sa - 1)), Vector512.Create(1L << (sb - 1)), Vector512.Create(1L << (sy - 1)));
        var (zav, zbv) = (Vector512.Create(za), Vector512.Create(zb));
        var (zyv, lov, hiv) = (Vector512.Create((long)zy), Vector512.Create((long)lo), Vector512.Create((long)hi));
        var (min32, max32) = (Vector512.Create((long)int.MinValue), Vector512.Create((long)int.MaxValue));
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var av = (Avx512F.ConvertToVector512Int32(Vector128.Load(a + i)) - zav) << Reference.Elementwise.AddLeftShift;
            var bv = (Avx512F.ConvertToVector512Int32(Vector128.Load(b + i)) - zbv) << Reference.Elementwise.AddLeftShift;
            Half(av.GetLower(), bv.GetLower()).Store(y + i);
            Half(av.GetUpper(), bv.GetUpper()).Store(y + i + 8);
        }

        return i;

        // Eight results from eight shifted inputs of each side, as AddRequant.Apply computes them.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector64<sbyte> Half(Vector256<int> a8, Vector256<int> b8)
        {
            var a64 = Avx512F.ConvertToVector512Int64(a8);
            var b64 = Avx512F.ConvertToVector512Int64(b8);
            var s = Clamp(Vector512.ShiftRightArithmetic((a64 * ma) + ra, sa)) + Clamp(Vector512.ShiftRightArithmetic((b64 * mb) + rb, sb));
            var q = zyv + Clamp(Vector512.ShiftRightArithmetic((Clamp(s) * my) + ry, sy));
            return Avx512F.ConvertToVector128SByte(Vector512.Min(Vector512.Max(q, lov), hiv)).GetLower();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector512<long> Clamp(Vector512<long> v) => Vector512.Min(Vector512.Max(v, min32), max32);
    }

    /// <summary>One vector of int8 results, as int32 in [−128, 127], from a vector's worth of a and of b.</summary>
    private interface IPairKernel
    {
        Vector<int> Apply(sbyte* a, sbyte* b, Span<int> tmp);
    }

    // a, b, y: [n] int8 → the whole vectors' results (returns how many): four vectors narrowed to bytes together
    // (int32 → int16 → int8), then one vector at a time; the tail is the caller's (the reference twin).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Pairs<TKernel>(TKernel q, sbyte* a, sbyte* b, int n, sbyte* y)
        where TKernel : struct, IPairKernel
    {
        int i = 0, lanes = Vector<int>.Count;
        Span<int> tmp = stackalloc int[lanes];
        for (; i + (4 * lanes) <= n; i += 4 * lanes)
        {
            var v01 = Vector.Narrow(q.Apply(a + i, b + i, tmp), q.Apply(a + i + lanes, b + i + lanes, tmp));
            var v23 = Vector.Narrow(q.Apply(a + i + (2 * lanes), b + i + (2 * lanes), tmp), q.Apply(a + i + (3 * lanes), b + i + (3 * lanes), tmp));
            Unsafe.WriteUnaligned(y + i, Vector.Narrow(v01, v23));
        }

        for (; i + lanes <= n; i += lanes)
        {
            var n32 = q.Apply(a + i, b + i, tmp);
            for (int k = 0; k < lanes; k++)
            {
                y[i + k] = (sbyte)n32[k];
            }
        }

        return i;
    }

    /// <summary>The int8 add's constants as vectors; <see cref="Apply"/> gives one vector of results, as int32 in [lo, hi].</summary>
    private readonly struct AddRequant : IPairKernel
    {
        private readonly Vector<long> _ma, _mb, _my, _ra, _rb, _ry, _zy, _lo, _hi;
        private readonly Vector<int> _za, _zb;
        private readonly int _sa, _sb, _sy;

        public AddRequant(int* requant, int za, int zb, int zy, int lo, int hi)
        {
            (_ma, _mb, _my) = (new Vector<long>(requant[0]), new Vector<long>(requant[1]), new Vector<long>(requant[2]));
            (_sa, _sb, _sy) = (31 - requant[3], 31 - requant[4], 31 - requant[5]);
            (_ra, _rb, _ry) = (new Vector<long>(1L << (_sa - 1)), new Vector<long>(1L << (_sb - 1)), new Vector<long>(1L << (_sy - 1)));
            (_za, _zb) = (new Vector<int>(za), new Vector<int>(zb));
            (_zy, _lo, _hi) = (new Vector<long>(zy), new Vector<long>(lo), new Vector<long>(hi));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<int> Apply(sbyte* a, sbyte* b, Span<int> tmp)
        {
            var av = (Load(a, tmp) - _za) << Reference.Elementwise.AddLeftShift;
            var bv = (Load(b, tmp) - _zb) << Reference.Elementwise.AddLeftShift;
            Vector.Widen(av, out Vector<long> a0, out Vector<long> a1);
            Vector.Widen(bv, out Vector<long> b0, out Vector<long> b1);
            var s0 = Clamp32(((a0 * _ma) + _ra) >> _sa) + Clamp32(((b0 * _mb) + _rb) >> _sb);
            var s1 = Clamp32(((a1 * _ma) + _ra) >> _sa) + Clamp32(((b1 * _mb) + _rb) >> _sb);
            var y0 = Vector.Min(Vector.Max(_zy + Clamp32(((Clamp32(s0) * _my) + _ry) >> _sy), _lo), _hi);
            var y1 = Vector.Min(Vector.Max(_zy + Clamp32(((Clamp32(s1) * _my) + _ry) >> _sy), _lo), _hi);
            return Vector.Narrow(y0, y1);
        }
    }

    // a, y: [rows, inner]; b: [rows / perB, inner] (perB rows of a per row of b: 1 one shape, H·W a per-sample channel scale)
    public static void Mul(float* a, float* b, int rows, int inner, int perB, float* y)
    {
        if (perB == 1)
        {
            (inner, rows) = (rows * inner, 1);
        }

        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(a + ((long)r * inner), inner), new ReadOnlySpan<float>(b + ((long)(r / perB) * inner), inner), new Span<float>(y + ((long)r * inner), inner));
        }
    }

    // a (za), y (zy): [rows, inner] int8; b (zb): [rows / perB, inner]; as Reference.Elementwise.MulInt8, the rescaling in 64-bit lanes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MulInt8(sbyte* a, int za, sbyte* b, int zb, int rows, int inner, int perB, int multiplier, int shift, int zy, sbyte* y)
    {
        if (perB == 1)
        {
            (inner, rows) = (rows * inner, 1);
        }

        for (int r = 0; r < rows; r++)
        {
            long o = (long)r * inner;
            MulRowInt8(a + o, za, b + ((long)(r / perB) * inner), zb, inner, multiplier, shift, zy, y + o);
        }
    }

    // a, b, y: [n] int8
    private static void MulRowInt8(sbyte* a, int za, sbyte* b, int zb, int n, int multiplier, int shift, int zy, sbyte* y)
    {
        int i = Vector.IsHardwareAccelerated && Vector<long>.Count * 2 == Vector<int>.Count ? Pairs(new MulRequant(za, zb, multiplier, shift, zy), a, b, n, y) : 0;
        Reference.Elementwise.MulInt8(a + i, za, b + i, zb, 1, n - i, 1, multiplier, shift, zy, y + i);
    }

    // x (zx), y (zy): [n] int8; as Reference.Elementwise.RescaleInt8, the rescaling in 64-bit lanes.
    public static void RescaleInt8(sbyte* x, int zx, int n, int multiplier, int shift, int zy, sbyte* y)
    {
        int i = 0, lanes = Vector<int>.Count;
        if (Vector.IsHardwareAccelerated && Vector<long>.Count * 2 == lanes)
        {
            var q = new MulRequant(zx, 0, multiplier, shift, zy);
            Span<int> tmp = stackalloc int[lanes];
            for (; i + lanes <= n; i += lanes)
            {
                var n32 = q.Scaled(x + i, tmp);
                for (int k = 0; k < lanes; k++)
                {
                    y[i + k] = (sbyte)n32[k];
                }
            }
        }

        Reference.Elementwise.RescaleInt8(x + i, zx, n - i, multiplier, shift, zy, y + i);
    }

    /// <summary>The int8 product's constants as vectors; <see cref="Apply"/> gives one vector of results as int32 in [−128, 127].</summary>
    private readonly struct MulRequant(int za, int zb, int multiplier, int shift, int zy) : IPairKernel
    {
        private readonly Vector<int> _za = new(za), _zb = new(zb);
        private readonly Vector<long> _m = new(multiplier), _round = new(1L << (31 - shift - 1)), _zy = new(zy), _lo = new(-128), _hi = new(127);
        private readonly int _s = 31 - shift;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<int> Apply(sbyte* a, sbyte* b, Span<int> tmp)
        {
            return Requantized((Load(a, tmp) - _za) * (Load(b, tmp) - _zb));   // |p| ≤ 255², exact in int32
        }

        /// <summary>(x − z_a) requantized: a rescaling of one operand.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<int> Scaled(sbyte* x, Span<int> tmp) => Requantized(Load(x, tmp) - _za);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Vector<int> Requantized(Vector<int> p)
        {
            Vector.Widen(p, out Vector<long> p0, out Vector<long> p1);
            var y0 = Vector.Min(Vector.Max(_zy + Clamp32(((p0 * _m) + _round) >> _s), _lo), _hi);
            var y1 = Vector.Min(Vector.Max(_zy + Clamp32(((p1 * _m) + _round) >> _s), _lo), _hi);
            return Vector.Narrow(y0, y1);
        }
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
