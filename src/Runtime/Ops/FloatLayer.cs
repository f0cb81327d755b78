using EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// The weights a float Dense or Conv2D prepares: kernel [k, n] and bias [n] in f32 (f16 widened,
/// int8 weight-only dequantized), pinned for the reference kernels, or packed into GEMM panels and
/// a panel-padded bias for the SIMD kernels. New weights (a policy learned on the board) can be
/// loaded in place by their tensor index, without allocating.
/// </summary>
internal sealed class FloatLayer
{
    private readonly int _k;
    private readonly int _n;
    private readonly bool _simd;
    private readonly int _kernelTensor;
    private readonly int _biasTensor;

    public FloatLayer(float[] weights, float[] bias, int k, int n, bool simd, int kernelTensor, int biasTensor)
    {
        if (weights.Length != (long)k * n || bias.Length != n)
        {
            throw new ArgumentException($"kernel of {weights.Length} values and bias of {bias.Length} do not fit [{k}, {n}]");
        }

        (_k, _n, _simd, _kernelTensor, _biasTensor) = (k, n, simd, kernelTensor, biasTensor);
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

    /// <summary>Loads new values of the tensor at <paramref name="tensor"/> when it is this layer's kernel or bias; false otherwise.</summary>
    public bool Reload(int tensor, ReadOnlySpan<float> values)
    {
        if (tensor != _kernelTensor && (tensor != _biasTensor || _biasTensor < 0))
        {
            return false;
        }

        bool kernel = tensor == _kernelTensor;
        int expected = kernel ? _k * _n : _n;
        if (values.Length != expected)
        {
            throw new ArgumentException($"tensor {tensor} holds {expected} values; got {values.Length}", nameof(values));
        }

        if (kernel && _simd)
        {
            PackedGemm.PackInto(values, _k, _n, Packed);
        }
        else
        {
            values.CopyTo(kernel ? Weights : _simd ? PaddedBias : Bias);
        }

        return true;
    }
}
