using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels;

/// <summary>
/// The int8 arithmetic as every kernel computes it: after a weighted layer, f32(acc) · f32(q · 2^(shift − 31))
/// clamped and rounded to even (<see cref="Layer"/>); an add likewise in f32 (<see cref="Add"/>); elsewhere
/// round(acc · q · 2^(shift − 31)) rounding half up in 64-bit integers, zero point, clamp; and float → int8 rounding
/// half away from zero. The blob
/// contract defines the same formulas (EdgeNet.Formats.Contract.Int8Arithmetic, which the exporter and
/// the reference interpreter use); a golden test holds the two bit-equal, since the kernels depend on
/// no other EdgeNet project.
/// </summary>
internal static unsafe class Requantize
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte Apply(int acc, int multiplier, int shift, int zeroPoint, int lo, int hi = 127)
    {
        int s = 31 - shift;
        long v = (((long)acc * multiplier) + (1L << (s - 1))) >> s;
        long y = zeroPoint + Math.Clamp(v, int.MinValue, int.MaxValue);
        return (sbyte)Math.Clamp(y, lo, hi);
    }

    /// <summary>A weighted layer's f32 requantization scale, q · 2^(shift − 31) rounded once to a float.</summary>
    public static float LayerScale(int multiplier, int shift) => (float)Math.ScaleB(multiplier, shift - 31);

    /// <summary>
    /// A weighted layer's output (dense, conv2d, depthwise): clamp(f32(acc) · scale, lo − zp, hi − zp) rounded to the
    /// nearest integer, ties to even, plus zp — what cvtdq2ps, vmulps, vmaxps/vminps and cvtps2dq compute per lane (scvtf,
    /// fmul, fmax/fmin, fcvtns on arm64).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte Layer(int acc, float scale, int zeroPoint, int lo, int hi = 127) =>
        (sbyte)((int)MathF.Round(Math.Clamp((float)acc * scale, lo - zeroPoint, hi - zeroPoint), MidpointRounding.ToEven) + zeroPoint);

    /// <summary>The left shift in an int8 add's table (TensorFlow Lite's operand headroom), folded out by <see cref="AddScales"/>.</summary>
    public const int AddLeftShift = 20;

    /// <summary>An int8 add's f32 scales from its table [2, 3] (k_a, k_b: q · q_y rounded to a double, times 2^(shifts − 62 + 20), rounded to a float).</summary>
    public static (float A, float B) AddScales(int* requant) =>
        ((float)Math.ScaleB((double)requant[0] * requant[2], requant[3] + requant[5] - 62 + AddLeftShift),
         (float)Math.ScaleB((double)requant[1] * requant[2], requant[4] + requant[5] - 62 + AddLeftShift));

    /// <summary>
    /// An int8 add: clamp(f32(a − za)·k_a + f32(b − zb)·k_b, lo − zy, hi − zy) rounded to the nearest integer, ties to
    /// even, plus zy — each product and the sum rounded to float (no fused multiply-add), as every vector width computes it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte Add(int a, int za, int b, int zb, float ka, float kb, int zy, int lo, int hi)
    {
        float pa = (float)(a - za) * ka, pb = (float)(b - zb) * kb;
        return (sbyte)((int)MathF.Round(Math.Clamp(pa + pb, lo - zy, hi - zy), MidpointRounding.ToEven) + zy);
    }

    /// <summary>8 codes already in [−128, 127] as int32 lanes → 8 bytes at <paramref name="y"/> (narrowing keeps them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store8(sbyte* y, Vector256<int> codes)
    {
        var s16 = Vector256.Narrow(codes, codes);
        *(long*)y = Vector256.Narrow(s16, s16).AsInt64().ToScalar();
    }

    /// <summary>Each lane rounded to the nearest int32, ties to even: cvtps2dq (x64), fcvtns (arm64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> RoundToEven(Vector128<float> v) =>
        Sse2.IsSupported ? Sse2.ConvertToVector128Int32(v) : System.Runtime.Intrinsics.Arm.AdvSimd.ConvertToInt32RoundToEven(v);

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
/// A weighted layer's requantization table as f32 scales, prepared once, so a block of accumulators is
/// requantized a vector at a time (<see cref="Requantize.Layer"/> per lane): 16 channels with AVX-512, then 8
/// with AVX2, then 4 with SSE2 or NEON, the last few one by one; bit-exact with the scalar form, each step being one IEEE
/// operation (int → float, multiply, min/max, round to nearest even).
/// </summary>
internal sealed unsafe class RequantTable
{
    private readonly float[] _scale;

    public RequantTable(ReadOnlySpan<int> requant, int n)
    {
        _scale = GC.AllocateArray<float>((n + 31) / 32 * 32, pinned: true);   // whole 32-channel panels
        for (int c = 0; c < n; c++)
        {
            if (!Requantize.ShiftInRange(requant[n + c]))
            {
                throw new ArgumentException($"channel {c}: requantization shift {requant[n + c]} is outside -31..30");
            }

            _scale[c] = Requantize.LayerScale(requant[c], requant[n + c]);
        }

        N = n;
    }

    public int N { get; }

    /// <summary>The f32 scale of channel <paramref name="c"/>.</summary>
    public float Scale(int c) => _scale[c];

    /// <summary>The scales [N, padded to whole 32-channel panels], pinned for the table's lifetime.</summary>
    public float* Scales => (float*)Unsafe.AsPointer(ref _scale[0]);

    private static bool Wide => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported;

    /// <summary>y[r, c] for c in [c0, c1) of a [rows, N] accumulator block.</summary>
    public void Block(int* acc, int rows, int c0, int c1, int zeroPoint, int lo, sbyte* y, int hi = 127)
    {
        // The constants of every width, made once for the block: AVX-512's 16 lanes, then AVX2's 8 (AVX2 machines, or the
        // 8 channels after AVX-512's last whole vector: MobileNetV2 α 0.35's 8-channel projections), then 4 (SSE2, NEON).
        var q16 = new LayerRequant16(zeroPoint, lo, hi);
        var (zp8, lo8, hi8) = (Vector256.Create(zeroPoint), Vector256.Create((float)(lo - zeroPoint)), Vector256.Create((float)(hi - zeroPoint)));
        var (zp4, lo4, hi4) = (Vector128.Create(zeroPoint), Vector128.Create((float)(lo - zeroPoint)), Vector128.Create((float)(hi - zeroPoint)));
        bool v128 = Sse2.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
        fixed (float* sc = _scale)
        {
            for (int r = 0; r < rows; r++)
            {
                int* a = acc + ((long)r * N);
                sbyte* yr = y + ((long)r * N);
                int c = c0;
                if (Wide)
                {
                    for (; c + 16 <= c1; c += 16)
                    {
                        // acc [16] int32 → y [16] int8.
                        Vector128.Store(q16.Codes(Vector512.Load(a + c), Vector512.Load(sc + c)), yr + c);
                    }
                }

                if (Avx2.IsSupported)
                {
                    for (; c + 8 <= c1; c += 8)
                    {
                        // acc [8] int32 → y [8] int8 (the values are in [lo, hi], so narrowing keeps them).
                        var v = Avx.ConvertToVector256Single(Vector256.Load(a + c)) * Vector256.Load(sc + c);
                        Requantize.Store8(yr + c, Avx.ConvertToVector256Int32(Vector256.MinNative(hi8, Vector256.MaxNative(lo8, v))) + zp8);
                    }
                }

                if (v128)
                {
                    for (; c + 4 <= c1; c += 4)
                    {
                        // acc [4] int32 → y [4] int8.
                        var q = Requantize.RoundToEven(Vector128.MinNative(hi4, Vector128.MaxNative(lo4, Vector128.ConvertToSingle(Vector128.Load(a + c)) * Vector128.Load(sc + c)))) + zp4;
                        var s16 = Vector128.Narrow(q, q);
                        *(int*)(yr + c) = Vector128.Narrow(s16, s16).AsInt32().ToScalar();
                    }
                }

                for (; c < c1; c++)
                {
                    yr[c] = Requantize.Layer(a[c], sc[c], zeroPoint, lo, hi);
                }
            }
        }
    }

}

/// <summary>
/// A weighted layer's requantization of 16 sums in the registers (AVX-512), <see cref="Requantize.Layer"/> per lane:
/// f32(acc) · scale clamped to [lo − zp, hi − zp], rounded to nearest even (vcvtps2dq), plus zp, narrowed to int8.
/// </summary>
internal readonly struct LayerRequant16(int zeroPoint, int lo, int hi)
{
    private readonly Vector512<int> _zp = Vector512.Create(zeroPoint);
    private readonly Vector512<float> _lo = Vector512.Create((float)(lo - zeroPoint));
    private readonly Vector512<float> _hi = Vector512.Create((float)(hi - zeroPoint));

    /// <summary>16 codes to <paramref name="y"/>, or the first <paramref name="lanes"/> of them (a partial group of channels: a masked store).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(sbyte* y, Vector128<sbyte> codes, int lanes)
    {
        if (lanes == 16)
        {
            Vector128.Store(codes, y);
        }
        else
        {
            Avx512BW.VL.MaskStore(y, Vector128.LessThan(Vector128<sbyte>.Indices, Vector128.Create((sbyte)lanes)), codes);
        }
    }

    /// <summary>acc [16] int32 and their channels' scales → [16] int8 codes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<sbyte> Codes(Vector512<int> acc, Vector512<float> scale) =>
        Avx512F.ConvertToVector128SByte(Avx512F.ConvertToVector512Int32(Vector512.MinNative(_hi, Vector512.MaxNative(_lo, Avx512F.ConvertToVector512Single(acc) * scale))) + _zp);
}
