using System.Numerics;
using System.Numerics.Tensors;

namespace EdgeNet.Kernels.Simd;

/// <summary>Vector activations (forward and backward) and softmax through System.Numerics.Tensors and Vector&lt;T&gt;.</summary>
internal static unsafe class Activations
{
    /// <summary>In place; act: 0 linear, 1 relu, 2 tanh, 3 sigmoid, 4 relu6 (the contract's codes).</summary>
    public static void Apply(int act, float* x, int n)
    {
        var s = new Span<float>(x, n);
        Apply(act, s, s);
    }

    /// <summary>y = act(x); x, y: [n] (may be the same span).</summary>
    public static void Apply(int act, ReadOnlySpan<float> x, Span<float> y)
    {
        switch (act)
        {
            case 1: TensorPrimitives.Max(x, 0f, y); break;
            case 2: TensorPrimitives.Tanh(x, y); break;
            case 3: TensorPrimitives.Sigmoid(x, y); break;
            case 4: TensorPrimitives.Clamp(x, 0f, 6f, y); break;
            default: x.CopyTo(y); break;
        }
    }

    /// <summary>dx = dy · act'(x), written from the forward output y; y, dy, dx: [n].</summary>
    public static void Backward(int act, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = dx.Length, i = 0, w = Vector<float>.Count;
        var one = Vector<float>.One;
        switch (act)
        {
            case 1:
                for (; i <= n - w; i += w)
                {
                    Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(y[i..]), Vector<float>.Zero), new Vector<float>(dy[i..]), Vector<float>.Zero).CopyTo(dx[i..]);
                }

                break;
            case 2:
                for (; i <= n - w; i += w)
                {
                    var yv = new Vector<float>(y[i..]);
                    (new Vector<float>(dy[i..]) * (one - (yv * yv))).CopyTo(dx[i..]);
                }

                break;
            case 3:
                for (; i <= n - w; i += w)
                {
                    var yv = new Vector<float>(y[i..]);
                    (new Vector<float>(dy[i..]) * yv * (one - yv)).CopyTo(dx[i..]);
                }

                break;
            case 4:
                var six = new Vector<float>(6f);
                for (; i <= n - w; i += w)
                {
                    var yv = new Vector<float>(y[i..]);
                    var inside = Vector.GreaterThan(yv, Vector<float>.Zero) & Vector.LessThan(yv, six);
                    Vector.ConditionalSelect(inside, new Vector<float>(dy[i..]), Vector<float>.Zero).CopyTo(dx[i..]);
                }

                break;
            default:
                dy[..n].CopyTo(dx);
                return;
        }

        // The tail as the reference twin computes it.
        Reference.Activations.Backward(act, y[i..n], dy[i..n], dx[i..]);
    }

    // x, y: [rows, cols]
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.SoftMax(x.Slice(r * cols, cols), y.Slice(r * cols, cols));
        }
    }

    public static void Softmax(float* x, float* y, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.SoftMax(new ReadOnlySpan<float>(x + ((long)r * cols), cols), new Span<float>(y + ((long)r * cols), cols));
        }
    }

    // y, dy, dx: [rows, cols]; dx = y ⊙ (dy − Σ_c y·dy) per row
    public static void SoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * cols, cols);
            var dr = dx.Slice(r * cols, cols);
            float dot = TensorPrimitives.Dot(yr, dy.Slice(r * cols, cols));
            TensorPrimitives.Subtract(dy.Slice(r * cols, cols), dot, dr);
            TensorPrimitives.Multiply(dr, yr, dr);
        }
    }
}
