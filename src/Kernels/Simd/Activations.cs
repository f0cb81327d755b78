using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeNet.Kernels.Simd;

/// <summary>Vector activations, softmax and (de)quantization through System.Numerics.Tensors.</summary>
public static unsafe class Activations
{
    public static void Apply(int act, float* x, int n)
    {
        var s = new Span<float>(x, n);
        switch (act)
        {
            case 1: TensorPrimitives.Max(s, 0f, s); break;
            case 2: TensorPrimitives.Tanh(s, s); break;
            case 3: TensorPrimitives.Sigmoid(s, s); break;
        }
    }

    public static void Softmax(float* x, float* y, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.SoftMax(new ReadOnlySpan<float>(x + ((long)r * cols), cols), new Span<float>(y + ((long)r * cols), cols));
        }
    }
}
