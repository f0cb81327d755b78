namespace EdgeNet.Kernels.Reference;

/// <summary>Scalar activations and softmax.</summary>
internal static unsafe class Activations
{
    /// <summary>The activation codes of the contract's fused activation (its index among the choices).</summary>
    public const int Linear = 0, Relu = 1, Tanh = 2, Sigmoid = 3, Relu6 = 4;

    /// <summary>In place; act: 0 linear, 1 relu, 2 tanh, 3 sigmoid, 4 relu6 (min(max(x, 0), 6)).</summary>
    public static void Apply(int act, float* x, int n)
    {
        for (int i = 0; i < n; i++)
        {
            x[i] = Scalar(act, x[i]);
        }
    }

    /// <summary>One value through activation <paramref name="act"/> (codes as in <see cref="Apply"/>).</summary>
    public static float Scalar(int act, float v) => act switch
    {
        Relu => Math.Max(v, 0f),
        Tanh => MathF.Tanh(v),
        Sigmoid => 1f / (1f + MathF.Exp(-v)),
        Relu6 => Math.Min(Math.Max(v, 0f), 6f),
        _ => v,
    };

    /// <summary>dx = dy · act'(x), the derivative written from the forward output y (y, dy, dx: [n]); act as in <see cref="Apply"/>.</summary>
    public static void Backward(int act, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++)
        {
            dx[i] = act switch
            {
                Relu => y[i] > 0 ? dy[i] : 0f,
                Tanh => dy[i] * (1 - (y[i] * y[i])),
                Sigmoid => dy[i] * y[i] * (1 - y[i]),
                Relu6 => y[i] > 0 && y[i] < 6f ? dy[i] : 0f,
                _ => dy[i],
            };
        }
    }

    // x, y: [rows, cols]
    public static void Softmax(float* x, float* y, int rows, int cols)
    {
        Softmax(new ReadOnlySpan<float>(x, rows * cols), new Span<float>(y, rows * cols), rows, cols);
    }

    // x, y: [rows, cols]
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            float max = float.NegativeInfinity;
            for (int c = 0; c < cols; c++)
            {
                max = Math.Max(max, xr[c]);
            }

            float sum = 0;
            for (int c = 0; c < cols; c++)
            {
                yr[c] = MathF.Exp(xr[c] - max);
                sum += yr[c];
            }

            for (int c = 0; c < cols; c++)
            {
                yr[c] /= sum;
            }
        }
    }

    // y, dy, dx: [rows, cols]; dx = y ⊙ (dy − Σ_c y·dy) per row
    public static void SoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            float dot = 0;
            for (int c = 0; c < cols; c++)
            {
                dot += y[(r * cols) + c] * dy[(r * cols) + c];
            }

            for (int c = 0; c < cols; c++)
            {
                dx[(r * cols) + c] = y[(r * cols) + c] * (dy[(r * cols) + c] - dot);
            }
        }
    }
}
