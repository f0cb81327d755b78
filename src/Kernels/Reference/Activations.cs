namespace EdgeNet.Kernels.Reference;

/// <summary>Scalar activations (float forward and backward, the int8 lookup) and softmax.</summary>
internal static unsafe class Activations
{
    /// <summary>The activation codes of the contract's fused activation (its index among the choices).</summary>
    public const int Linear = 0, Relu = 1, Tanh = 2, Sigmoid = 3, Relu6 = 4;

    /// <summary>The element-wise activations that are operators of their own, never fused: min(max(x/6 + 1/2, 0), 1), x · that, x · sigmoid(x).</summary>
    public const int HardSigmoid = 5, HardSwish = 6, Silu = 7;

    /// <summary>In place; act: 0 linear, 1 relu, 2 tanh, 3 sigmoid, 4 relu6 (min(max(x, 0), 6)), 5 hard sigmoid, 6 hard swish, 7 silu.</summary>
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
        HardSigmoid => Math.Min(Math.Max((v * (1f / 6f)) + 0.5f, 0f), 1f),
        HardSwish => v * Math.Min(Math.Max((v * (1f / 6f)) + 0.5f, 0f), 1f),
        Silu => v / (1f + MathF.Exp(-v)),
        _ => v,
    };

    /// <summary>
    /// dx = dy · act'(x), the derivative written from the forward input x (x, dy, dx: [n]); the hard swish's and SiLU's
    /// derivatives are not functions of their output. Hard swish: 0 below −3, 1 above 3, (2x + 3) / 6 between (PyTorch's).
    /// </summary>
    public static void BackwardFromInput(int act, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++)
        {
            float v = x[i];
            float d = act switch
            {
                Relu => v > 0 ? 1f : 0f,
                Relu6 => v > 0 && v < 6f ? 1f : 0f,
                Tanh => 1 - (MathF.Tanh(v) * MathF.Tanh(v)),
                Sigmoid => Sig(v) * (1 - Sig(v)),
                HardSigmoid => v > -3f && v < 3f ? 1f / 6f : 0f,
                HardSwish => v < -3f ? 0f : v > 3f ? 1f : (v * (1f / 3f)) + 0.5f,
                Silu => Sig(v) * (1 + (v * (1 - Sig(v)))),
                _ => 1f,
            };
            dx[i] = dy[i] * d;
        }
    }

    private static float Sig(float v) => 1f / (1f + MathF.Exp(-v));

    // x, y: [n] int8;  table: [256], y = table[x + 128] (an int8 activation's lookup table)
    public static void LookupInt8(sbyte* x, int n, sbyte* table, sbyte* y)
    {
        for (int i = 0; i < n; i++)
        {
            y[i] = table[x[i] + 128];
        }
    }

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
                HardSigmoid => y[i] > 0 && y[i] < 1f ? dy[i] * (1f / 6f) : 0f,
                HardSwish or Silu => throw new ArgumentException("the hard swish's and SiLU's derivatives need the input: BackwardFromInput", nameof(act)),
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
