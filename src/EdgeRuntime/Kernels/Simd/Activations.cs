using System.Numerics.Tensors;

namespace EdgeNet.Runtime.Kernels.Simd;

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

    /// <summary>Same rounding as the reference (x / scale, half away from zero), the division vectorized.</summary>
    public static void Quantize(float* x, sbyte* q, int n, float scale, int zp, float* tmp)
    {
        var t = new Span<float>(tmp, n);
        TensorPrimitives.Divide(new ReadOnlySpan<float>(x, n), scale, t);
        for (int i = 0; i < n; i++)
        {
            q[i] = (sbyte)Math.Clamp((int)MathF.Round(t[i], MidpointRounding.AwayFromZero) + zp, -128, 127);
        }
    }

    public static void Dequantize(sbyte* q, float* x, int n, float scale, int zp)
    {
        var d = new Span<float>(x, n);
        for (int i = 0; i < n; i++)
        {
            d[i] = q[i];
        }

        TensorPrimitives.Subtract(d, zp, d);
        TensorPrimitives.Multiply(d, scale, d);
    }
}
