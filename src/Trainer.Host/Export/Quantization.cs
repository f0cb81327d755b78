namespace EdgeNet.Trainer.Export;

/// <summary>
/// The int8 arithmetic of the TensorFlow Lite int8 spec as EdgeNet implements it: symmetric
/// per-channel weights in [−127, 127], asymmetric per-tensor activations, int32 biases with
/// scale = input_scale · weight_scale, and requantization by a fixed-point multiplier and shift.
/// The reference interpreter and the runtime's kernels use exactly these functions' semantics.
/// </summary>
public static class Quantization
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

    /// <summary>q = clamp(round(x / scale) + zp, −128, 127).</summary>
    public static sbyte Quantize(float x, float scale, int zeroPoint) =>
        (sbyte)Math.Clamp((int)Math.Clamp(MathF.Round(x / scale, MidpointRounding.AwayFromZero), -1024f, 1024f) + zeroPoint, -128, 127);

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

    /// <summary>
    /// A real multiplier M as q·2^(shift−31) with q in [2^30, 2^31): the runtime then computes
    /// round(acc·M) with integers only (<see cref="MultiplyByQuantizedMultiplier"/>).
    /// </summary>
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

    /// <summary>round(acc · q · 2^(shift−31)), rounding half up, in 64-bit integer arithmetic.</summary>
    public static int MultiplyByQuantizedMultiplier(int acc, int multiplier, int shift)
    {
        int s = 31 - shift;
        long v = (((long)acc * multiplier) + (1L << (s - 1))) >> s;
        return (int)Math.Clamp(v, int.MinValue, int.MaxValue);
    }
}
