using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Ref = EdgeNet.Kernels.Reference.Activations;

namespace EdgeNet.Kernels.Simd;

/// <summary>Vector activations (forward and backward, the int8 lookup) and softmax through System.Numerics.Tensors, Vector&lt;T&gt; and table instructions.</summary>
internal static unsafe class Activations
{
    /// <summary>In place; act: 0 linear, 1 relu, 2 tanh, 3 sigmoid, 4 relu6 (the contract's codes), 5 hard sigmoid, 6 hard swish, 7 silu.</summary>
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
            case Ref.HardSigmoid: Hard(x, y, swish: false); break;
            case Ref.HardSwish: Hard(x, y, swish: true); break;
            case Ref.Silu: Silu(x, y); break;
            default: x.CopyTo(y); break;
        }
    }

    // x, y: [n] (may be the same span): y = h = min(max(x/6 + 1/2, 0), 1), or x · h for the hard swish
    private static void Hard(ReadOnlySpan<float> x, Span<float> y, bool swish)
    {
        int n = y.Length, i = 0, w = Vector<float>.Count;
        var sixth = new Vector<float>(1f / 6f);
        var half = new Vector<float>(0.5f);
        for (; i <= n - w; i += w)
        {
            var v = new Vector<float>(x[i..]);
            var h = Vector.Min(Vector.Max((v * sixth) + half, Vector<float>.Zero), Vector<float>.One);
            (swish ? v * h : h).CopyTo(y[i..]);
        }

        for (; i < n; i++)
        {
            y[i] = Ref.Scalar(swish ? Ref.HardSwish : Ref.HardSigmoid, x[i]);
        }
    }

    // x, y: [n] (may be the same span): y = x · sigmoid(x), 256 values at a time through a stack buffer.
    private static void Silu(ReadOnlySpan<float> x, Span<float> y)
    {
        Span<float> s = stackalloc float[256];
        for (int i = 0; i < y.Length; i += 256)
        {
            int k = Math.Min(256, y.Length - i);
            TensorPrimitives.Sigmoid(x.Slice(i, k), s[..k]);
            TensorPrimitives.Multiply(x.Slice(i, k), s[..k], y.Slice(i, k));
        }
    }

    /// <summary>dx = dy · act'(x) from the forward input x (what the hard swish and SiLU need); x, dy, dx: [n].</summary>
    public static void BackwardFromInput(int act, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = dx.Length, i = 0, w = Vector<float>.Count;
        if (act == Ref.HardSwish)
        {
            var three = new Vector<float>(3f);
            var third = new Vector<float>(1f / 3f);
            var half = new Vector<float>(0.5f);
            for (; i <= n - w; i += w)
            {
                var v = new Vector<float>(x[i..]);
                var d = Vector.ConditionalSelect(Vector.LessThan(v, -three), Vector<float>.Zero, Vector.ConditionalSelect(Vector.GreaterThan(v, three), Vector<float>.One, (v * third) + half));
                (new Vector<float>(dy[i..]) * d).CopyTo(dx[i..]);
            }
        }
        else if (act == Ref.Silu)
        {
            Span<float> s = stackalloc float[256];
            for (; i + 256 <= n; i += 256)
            {
                TensorPrimitives.Sigmoid(x.Slice(i, 256), s);
                for (int j = 0; j <= 256 - w; j += w)
                {
                    var sv = new Vector<float>(s[j..]);
                    var v = new Vector<float>(x[(i + j)..]);
                    (new Vector<float>(dy[(i + j)..]) * sv * (Vector<float>.One + (v * (Vector<float>.One - sv)))).CopyTo(dx[(i + j)..]);
                }
            }
        }

        Ref.BackwardFromInput(act, x[i..n], dy[i..n], dx[i..]);
    }

    // x, y: [n] int8; table: [256]; y = table[x + 128]. AVX-512 VBMI: 64 lookups per two vpermi2b (the table's halves by the
    // sign of x); NEON: 16 per four 64-byte tbl lookups (an index out of a lookup's range gives 0, so the four are OR'd).
    public static void LookupInt8(sbyte* x, int n, sbyte* table, sbyte* y)
    {
        int i = 0;
        if (Avx512Vbmi.IsSupported)
        {
            var lo0 = Vector512.Load((byte*)table);
            var lo1 = Vector512.Load((byte*)table + 64);
            var hi0 = Vector512.Load((byte*)table + 128);
            var hi1 = Vector512.Load((byte*)table + 192);
            for (; i + 64 <= n; i += 64)
            {
                var v = Vector512.Load((byte*)x + i);                      // x as bytes: its low 7 bits index either half
                var neg = Avx512Vbmi.PermuteVar64x8x2(lo0, v, lo1);      // x < 0: table[x + 128] = table[x & 127]
                var pos = Avx512Vbmi.PermuteVar64x8x2(hi0, v, hi1);      // x ≥ 0: table[128 + x]
                var sign = Vector512.LessThan(v.AsSByte(), Vector512<sbyte>.Zero).AsByte();
                Vector512.ConditionalSelect(sign, neg, pos).Store((byte*)y + i);
            }
        }
        else if (AdvSimd.Arm64.IsSupported)
        {
            var t = stackalloc Vector128<byte>[16];
            for (int k = 0; k < 16; k++)
            {
                t[k] = Vector128.Load((byte*)table + (16 * k));
            }

            var q64 = Vector128.Create((byte)64);
            var flip = Vector128.Create((byte)0x80);
            for (; i + 16 <= n; i += 16)
            {
                var idx = Vector128.Load((byte*)x + i) ^ flip;   // x + 128
                var r = AdvSimd.Arm64.VectorTableLookup((t[0], t[1], t[2], t[3]), idx);
                r |= AdvSimd.Arm64.VectorTableLookup((t[4], t[5], t[6], t[7]), idx - q64);
                r |= AdvSimd.Arm64.VectorTableLookup((t[8], t[9], t[10], t[11]), idx - q64 - q64);
                r |= AdvSimd.Arm64.VectorTableLookup((t[12], t[13], t[14], t[15]), idx - q64 - q64 - q64);
                r.Store((byte*)y + i);
            }
        }

        Ref.LookupInt8(x + i, n - i, table, y + i);
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
            case Ref.HardSigmoid or Ref.HardSwish or Ref.Silu:
                break;   // the reference twin: the hard sigmoid's few comparisons; the other two need the input (BackwardFromInput)
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
