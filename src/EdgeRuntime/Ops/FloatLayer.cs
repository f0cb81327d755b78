using EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// The weights a float Dense or Conv2D prepares: kernel [k, n] and bias [n] in f32 (f16 widened,
/// int8 weight-only dequantized), pinned for the reference kernels, or packed into GEMM panels and
/// a panel-padded bias for the SIMD kernels.
/// </summary>
internal sealed class FloatLayer
{
    public FloatLayer(float[] weights, float[] bias, int k, int n, bool simd)
    {
        if (weights.Length != (long)k * n || bias.Length != n)
        {
            throw new ArgumentException($"kernel of {weights.Length} values and bias of {bias.Length} do not fit [{k}, {n}]");
        }

        if (simd)
        {
            Packed = PackedGemm.Pack(weights, k, n);
            PaddedBias = PackedGemm.PadBias(bias, n);
        }
        else
        {
            Weights = Int8Layer.Pin<float>(weights);
            Bias = Int8Layer.Pin<float>(bias);
        }
    }

    public float[] Weights { get; } = [];

    public float[] Bias { get; } = [];

    public float[] Packed { get; } = [];

    public float[] PaddedBias { get; } = [];
}
