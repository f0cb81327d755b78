namespace EdgeNet.Kernels.Reference;

/// <summary>Scalar float ↔ int8 conversion with a per-tensor scale and zero point.</summary>
internal static unsafe class Quantize
{
    /// <summary>q = clamp(round_half_away(x / scale) + zp, −128, 127).</summary>
    public static void ToInt8(float* x, sbyte* q, int n, float scale, int zp)
    {
        for (int i = 0; i < n; i++)
        {
            q[i] = Requantize.Quantize(x[i], scale, zp);
        }
    }

    public static void ToFloat(sbyte* q, float* x, int n, float scale, int zp)
    {
        for (int i = 0; i < n; i++)
        {
            x[i] = scale * (q[i] - zp);
        }
    }
}
