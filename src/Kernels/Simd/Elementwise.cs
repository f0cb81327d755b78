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

    // a, b, y: [n] int8; ka, kb as Reference.Elementwise.AddInt8, the same IEEE steps a vector at a time (sign-extend,
    // subtract the zero point, to float, two products and their sum, clamp, round to even, zero point, narrow): 16 per
    // step with AVX-512, 8 with AVX2, 16 as four vectors of 4 with SSE2 or NEON; the tail is the reference's.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddInt8(sbyte* a, int za, sbyte* b, int zb, int n, float ka, float kb, int zy, int lo, int hi, sbyte* y)
    {
        int i = 0;
        float flo = lo - zy, fhi = hi - zy;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported)
        {
            var (za16, zb16, zy16, ka16, kb16) = (Vector512.Create(za), Vector512.Create(zb), Vector512.Create(zy), Vector512.Create(ka), Vector512.Create(kb));
            var (lo16, hi16) = (Vector512.Create(flo), Vector512.Create(fhi));
            for (; i + 16 <= n; i += 16)
            {
                // a, b [16] int8 → y [16] int8 (vpmovsxbd, vcvtdq2ps, vmulps, vaddps, vmaxps/vminps, vcvtps2dq, vpmovdb).
                var pa = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(a + i)) - za16) * ka16;
                var pb = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(b + i)) - zb16) * kb16;
                Avx512F.ConvertToVector128SByte(Avx512F.ConvertToVector512Int32(Vector512.MinNative(hi16, Vector512.MaxNative(lo16, pa + pb))) + zy16).Store(y + i);
            }
        }
        else if (Avx2.IsSupported)
        {
            var (za8, zb8, zy8, ka8, kb8) = (Vector256.Create(za), Vector256.Create(zb), Vector256.Create(zy), Vector256.Create(ka), Vector256.Create(kb));
            var (lo8, hi8) = (Vector256.Create(flo), Vector256.Create(fhi));
            for (; i + 8 <= n; i += 8)
            {
                // a, b [8] int8 → y [8] int8 (the values are in [lo, hi], so narrowing keeps them).
                var pa = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(a + i) - za8) * ka8;
                var pb = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(b + i) - zb8) * kb8;
                Requantize.Store8(y + i, Avx.ConvertToVector256Int32(Vector256.MinNative(hi8, Vector256.MaxNative(lo8, pa + pb))) + zy8);
            }
        }
        else if (Sse2.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported)
        {
            var (za4, zb4, zy4, ka4, kb4) = (Vector128.Create(za), Vector128.Create(zb), Vector128.Create(zy), Vector128.Create(ka), Vector128.Create(kb));
            var (lo4, hi4) = (Vector128.Create(flo), Vector128.Create(fhi));
            for (; i + 16 <= n; i += 16)
            {
                // a, b [16] int8 → four vectors of [4] int32 each → y [16] int8.
                var (a0, a1) = Vector128.Widen(Vector128.Load(a + i));
                var (b0, b1) = Vector128.Widen(Vector128.Load(b + i));
                var (a00, a01) = Vector128.Widen(a0);
                var (a10, a11) = Vector128.Widen(a1);
                var (b00, b01) = Vector128.Widen(b0);
                var (b10, b11) = Vector128.Widen(b1);
                var lower = Vector128.Narrow(Code(a00, b00), Code(a01, b01));
                var upper = Vector128.Narrow(Code(a10, b10), Code(a11, b11));
                Vector128.Narrow(lower, upper).Store(y + i);
            }

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            Vector128<int> Code(Vector128<int> av, Vector128<int> bv)
            {
                var pa = Vector128.ConvertToSingle(av - za4) * ka4;
                var pb = Vector128.ConvertToSingle(bv - zb4) * kb4;
                return Requantize.RoundToEven(Vector128.MinNative(hi4, Vector128.MaxNative(lo4, pa + pb))) + zy4;
            }
        }

        Reference.Elementwise.AddInt8(a + i, za, b + i, zb, n - i, ka, kb, zy, lo, hi, y + i);
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

    /// <summary>
    /// acc [n] int32 → y [n] int8: <see cref="Requantize.Apply"/> per value (round(acc · q · 2^(shift − 31)) half up, plus
    /// zy, clamped to int8) in 64-bit lanes, four vectors narrowed to one store (an average pool's finished sums).
    /// </summary>
    public static void RequantizeInt32(int* acc, int n, int multiplier, int shift, int zy, sbyte* y)
    {
        int i = 0, lanes = Vector<int>.Count;
        if (Vector.IsHardwareAccelerated && Vector<long>.Count * 2 == lanes)
        {
            var q = new MulRequant(0, 0, multiplier, shift, zy);
            for (; i + (4 * lanes) <= n; i += 4 * lanes)
            {
                var c0 = q.Rescaled(Unsafe.ReadUnaligned<Vector<int>>(acc + i));
                var c1 = q.Rescaled(Unsafe.ReadUnaligned<Vector<int>>(acc + i + lanes));
                var c2 = q.Rescaled(Unsafe.ReadUnaligned<Vector<int>>(acc + i + (2 * lanes)));
                var c3 = q.Rescaled(Unsafe.ReadUnaligned<Vector<int>>(acc + i + (3 * lanes)));
                // Already in [−128, 127], so narrowing (which drops the high halves) keeps every value.
                Unsafe.WriteUnaligned(y + i, Vector.Narrow(Vector.Narrow(c0, c1), Vector.Narrow(c2, c3)));
            }
        }

        for (; i < n; i++)
        {
            y[i] = Requantize.Apply(acc[i], multiplier, shift, zy, -128);
        }
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

        /// <summary>Finished int32 sums requantized (z_a and z_b unused).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<int> Rescaled(Vector<int> acc) => Requantized(acc);

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
