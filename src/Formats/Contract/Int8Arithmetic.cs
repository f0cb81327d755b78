using System.Runtime.CompilerServices;

namespace EdgeNet.Formats.Contract;

/// <summary>
/// The int8 arithmetic of the blob contract (the TensorFlow Lite int8 spec as EdgeNet stores it,
/// docs/format.md "Quantization"): symmetric per-channel weights in [−127, 127], asymmetric
/// per-tensor activations, int32 biases with scale = input_scale · weight_scale, and requantization
/// by a multiplier stored as q · 2^(shift − 31): applied in f32 after a weighted layer
/// (<see cref="RequantizeLayer"/>), in fixed point elsewhere (<see cref="Requantize"/>). The exporter
/// computes the constants here, the reference interpreter applies them with these functions, and the
/// runtime kernels' copies (EdgeNet.Kernels.Requantize) are held bit-equal to both by ArchitectureTests.
/// </summary>
internal static class Int8Arithmetic
{
    /// <summary>Scale and zero point covering [min, max] (widened to include 0) with 256 int8 levels.</summary>
    public static (float Scale, int ZeroPoint) AsymmetricParams(float min, float max)
    {
        min = Math.Min(min, 0f);
        max = Math.Max(max, 0f);
        float scale = (max - min) / 255f;
        if (!(scale > 0) || !float.IsFinite(scale))
        {
            return (1e-6f, -128);
        }

        int zp = (int)Math.Round(-128 - (min / scale), MidpointRounding.AwayFromZero);
        return (scale, Math.Clamp(zp, -128, 127));
    }

    /// <summary>q = clamp(round(x / scale) + zp, −128, 127), rounding half away from zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte Quantize(float x, float scale, int zeroPoint) =>
        (sbyte)Math.Clamp((int)Math.Clamp(MathF.Round(x / scale, MidpointRounding.AwayFromZero), -1024f, 1024f) + zeroPoint, -128, 127);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dequantize(int q, float scale, int zeroPoint) => scale * (q - zeroPoint);

    /// <summary>
    /// Per-channel symmetric quantization of a weight tensor along its last axis (Dense [in, out],
    /// Conv2D [kh, kw, in, out]): scale[c] = max|w[..., c]| / 127, zero point 0.
    /// </summary>
    public static (sbyte[] Q, float[] Scales) QuantizePerChannelLastAxis(ReadOnlySpan<float> w, int channels)
    {
        var scales = new float[channels];
        for (int i = 0; i < w.Length; i++)
        {
            int c = i % channels;
            scales[c] = Math.Max(scales[c], Math.Abs(w[i]));
        }

        for (int c = 0; c < channels; c++)
        {
            scales[c] = scales[c] > 0 ? scales[c] / 127f : 1e-8f;
        }

        var q = new sbyte[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            q[i] = (sbyte)Math.Clamp((int)MathF.Round(w[i] / scales[i % channels], MidpointRounding.AwayFromZero), -127, 127);
        }

        return (q, scales);
    }

    /// <summary>A real multiplier M as q·2^(shift−31) with q in [2^30, 2^31), so round(acc·M) needs integers only.</summary>
    public static (int Multiplier, int Shift) QuantizeMultiplier(double m)
    {
        if (m <= 0 || !double.IsFinite(m))
        {
            return (0, 0);
        }

        int exp = (int)Math.Floor(Math.Log2(m)) + 1;   // m = f·2^exp, f in [0.5, 1)
        double f = m / Math.Pow(2, exp);
        long q = (long)Math.Round(f * (1L << 31), MidpointRounding.AwayFromZero);
        if (q == 1L << 31)
        {
            q /= 2;
            exp++;
        }

        if (exp > 30 || exp < -30)
        {
            throw new ArgumentOutOfRangeException(nameof(m), m, "requantization multiplier out of the representable range; the layer's scales are degenerate");
        }

        return ((int)q, exp);
    }

    /// <summary>Null when a stored shift can be applied (31 − shift in 1..62), else the problem.</summary>
    public static string? ShiftProblem(int shift) =>
        31 - shift is < 1 or > 62 ? $"requantization shift {shift} is outside -31..30" : null;

    /// <summary>round(acc · q · 2^(shift−31)), rounding half up, in 64-bit integer arithmetic, clamped to int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MultiplyByQuantizedMultiplier(int acc, int multiplier, int shift)
    {
        int s = 31 - shift;
        long v = (((long)acc * multiplier) + (1L << (s - 1))) >> s;
        return (int)Math.Clamp(v, int.MinValue, int.MaxValue);
    }

    /// <summary>clamp(zp_out + round(acc · M), lo, hi) in integers (mul, pools and the int8 → int8 quantize).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte Requantize(int acc, int multiplier, int shift, int zeroPoint, int lo, int hi = 127) =>
        (sbyte)Math.Clamp((long)zeroPoint + MultiplyByQuantizedMultiplier(acc, multiplier, shift), lo, hi);

    /// <summary>
    /// A weighted layer's (dense, conv2d, depthwise_conv2d) requantization scale in f32: q · 2^(shift − 31), exact
    /// in a double, rounded once to the nearest float.
    /// </summary>
    public static float LayerScale(int multiplier, int shift) => (float)Math.ScaleB(multiplier, shift - 31);

    /// <summary>
    /// A weighted layer's output in fp32 arithmetic (XNNPACK's fp32 requantization, ONNX Runtime's QLinearConv):
    /// v = f32(acc) · scale, both steps rounded to nearest even; clamped to [lo − zp, hi − zp]; rounded to the nearest
    /// integer, ties to even; plus zp. Every step is an IEEE operation with one answer, so each vector width gives
    /// the same codes; clamping before rounding equals clamping after (the bounds are integers), and the float never
    /// leaves int32's range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte RequantizeLayer(int acc, float scale, int zeroPoint, int lo, int hi = 127) =>
        (sbyte)((int)MathF.Round(Math.Clamp((float)acc * scale, lo - zeroPoint, hi - zeroPoint), MidpointRounding.ToEven) + zeroPoint);

    /// <summary>
    /// The int8 clamp a fused activation becomes on an output of scale <paramref name="scale"/> and zero point
    /// <paramref name="zeroPoint"/>: linear [−128, 127]; relu [max(−128, zp), 127]; relu6 also caps at
    /// min(127, zp + round(6 / scale)). Tanh and sigmoid have no int8 form (null).
    /// </summary>
    public static (int Lo, int Hi)? ActivationBounds(string activation, float scale, int zeroPoint) => activation switch
    {
        "linear" => (-128, 127),
        "relu" => (Math.Max(-128, zeroPoint), 127),
        "relu6" => (Math.Max(-128, zeroPoint), (int)Math.Min(127L, zeroPoint + (long)MathF.Round(6f / scale, MidpointRounding.AwayFromZero))),
        _ => null,
    };

    /// <summary>
    /// The left shift in an int8 add's table (TensorFlow Lite's operand headroom of 20 bits): the table keeps TFLite's
    /// form, <see cref="AddScales"/> folds it back out.
    /// </summary>
    public const int AddLeftShift = 20;

    /// <summary>
    /// An int8 add's requantization table [2, 3] (multipliers of a, b, the sum; then their shifts): each operand
    /// (q − zp)·2^20 is scaled by s / (2·max(s_a, s_b)), the sum by 2·max(s_a, s_b) / (2^20 · s_y).
    /// </summary>
    public static int[] AddRequant(float scaleA, float scaleB, float scaleY)
    {
        double twiceMax = 2.0 * Math.Max(scaleA, scaleB);
        var (ma, sa) = QuantizeMultiplier(scaleA / twiceMax);
        var (mb, sb) = QuantizeMultiplier(scaleB / twiceMax);
        var (my, sy) = QuantizeMultiplier(twiceMax / ((1 << AddLeftShift) * (double)scaleY));
        return [ma, mb, my, sa, sb, sy];
    }

    /// <summary>
    /// An int8 add's two f32 scales from its table: k_a = M_a · M_y · 2^20 = s_a / s_y up to the multipliers' rounding
    /// (q_a · q_y rounded to a double, scaled by 2^(shift_a + shift_y − 62 + 20), then rounded to a float); k_b likewise.
    /// </summary>
    public static (float A, float B) AddScales(ReadOnlySpan<int> requant) =>
        ((float)Math.ScaleB((double)requant[0] * requant[2], requant[3] + requant[5] - 62 + AddLeftShift),
         (float)Math.ScaleB((double)requant[1] * requant[2], requant[4] + requant[5] - 62 + AddLeftShift));

    /// <summary>
    /// An int8 add in fp32 arithmetic (ONNX Runtime's QLinearAdd form; quantization.version 3): v =
    /// f32(a − za)·k_a + f32(b − zb)·k_b, each product and the sum rounded to nearest even (no fused multiply-add);
    /// clamped to [lo − zy, hi − zy]; rounded to the nearest integer, ties to even; plus zy. k from <see cref="AddScales"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte Add(int a, int za, int b, int zb, (float A, float B) k, int zy, int lo, int hi)
    {
        float pa = (float)(a - za) * k.A, pb = (float)(b - zb) * k.B;
        return (sbyte)((int)MathF.Round(Math.Clamp(pa + pb, lo - zy, hi - zy), MidpointRounding.ToEven) + zy);
    }

    /// <summary>
    /// An int8 average pooling's requantization table [2, taps]: for a window of k taps inside the image, at
    /// k − 1, the multiplier and shift of s_x / (k · s_y), applied to Σ(x − z_x).
    /// </summary>
    public static int[] AveragePoolRequant(float scaleX, float scaleY, int taps)
    {
        var t = new int[2 * taps];
        for (int k = 1; k <= taps; k++)
        {
            (t[k - 1], t[taps + k - 1]) = QuantizeMultiplier(scaleX / ((double)k * scaleY));
        }

        return t;
    }

    /// <summary>
    /// An int8 element-wise activation as a table [256]: entry q + 128 is quantize(f(dequantize(q, s_x, z_x)), s_y, z_y).
    /// Exact for every input code (the only rounding is the output's own), so each kernel twin is one load per element.
    /// </summary>
    public static sbyte[] LookupTable(Func<float, float> f, float scaleX, int zeroX, float scaleY, int zeroY)
    {
        ArgumentNullException.ThrowIfNull(f);
        var t = new sbyte[256];
        for (int q = -128; q <= 127; q++)
        {
            t[q + 128] = Quantize(f(Dequantize(q, scaleX, zeroX)), scaleY, zeroY);
        }

        return t;
    }

    /// <summary>An int8 product: clamp(z_y + round((a − z_a)(b − z_b) · M), −128, 127), M = s_a·s_b / s_y as (multiplier, shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte Mul(int a, int za, int b, int zb, int multiplier, int shift, int zy) =>
        Requantize((a - za) * (b - zb), multiplier, shift, zy, -128, 127);
}
