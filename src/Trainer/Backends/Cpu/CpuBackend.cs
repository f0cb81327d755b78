using System.Numerics;
using System.Numerics.Tensors;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>
/// The CPU backend: pooled host buffers, the packed SIMD GEMM (<see cref="Gemm"/>) and
/// System.Numerics.Tensors for element-wise work. Kernels are split by family into partial files.
/// </summary>
internal sealed partial class CpuBackend : IBackend
{
    /// <summary>The one CPU backend of the process.</summary>
    public static CpuBackend Instance { get; } = new();

    /// <summary>How many threads the GEMMs and convolutions use (default: every core; 1 for measurements).</summary>
    public static int MaxThreads
    {
        get => EdgeNet.Kernels.Simd.Gemm.MaxThreads;
        set => EdgeNet.Kernels.Simd.Gemm.MaxThreads = value;
    }

    /// <summary>The GEMM micro-kernel this CPU runs (instruction set and register block, e.g. "avx512 12x32").</summary>
    public static string GemmKernel => EdgeNet.Kernels.Simd.Gemm.KernelName;

    /// <summary>"cpu", the thread count and the GEMM kernel.</summary>
    public string Name => $"cpu ({Environment.ProcessorCount} threads, gemm {GemmKernel})";

    public Storage Allocate(int length, bool zero = false)
    {
        var s = new CpuStorage(this, length);
        if (zero)
        {
            s.Span.Clear();
        }

        return s;
    }

    internal static Span<float> S(Storage s) => ((CpuStorage)s).Span;

    internal static float[] A(Storage s) => ((CpuStorage)s).Data;

    public void Upload(ReadOnlySpan<float> source, Storage destination, int offset = 0) => source.CopyTo(S(destination)[offset..]);

    public void Download(Storage source, Span<float> destination, int offset = 0) => S(source).Slice(offset, destination.Length).CopyTo(destination);

    public void Fill(Storage destination, float value) => S(destination).Fill(value);

    public void Copy(Storage source, int sourceOffset, Storage destination, int destinationOffset, int length) =>
        S(source).Slice(sourceOffset, length).CopyTo(S(destination).Slice(destinationOffset, length));

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, Storage b, float beta, Storage c) =>
        EdgeNet.Kernels.Simd.Gemm.Sgemm(transA, transB, m, n, k, alpha, S(a), transA ? m : k, S(b), transB ? k : n, beta, S(c), n);

    public void AddBias(Storage x, Storage bias, Storage y, int rows, int cols) => Kernels.Simd.Dense.AddBias(S(x), S(bias), S(y), rows, cols);

    public void BiasGrad(Storage dy, Storage db, int rows, int cols, bool accumulate) => Kernels.Simd.Dense.BiasGrad(S(dy), S(db), rows, cols, accumulate);

    public void ActivationForward(Activation act, Storage x, Storage y, int n) => Kernels.Simd.Activations.Apply(Code(act), S(x)[..n], S(y)[..n]);

    public void ActivationBackward(Activation act, Storage y, Storage dy, Storage dx, int n) =>
        Kernels.Simd.Activations.Backward(Code(act), S(y)[..n], S(dy)[..n], S(dx)[..n]);

    public void ActivationBackwardFromInput(Activation act, Storage x, Storage dy, Storage dx, int n) =>
        Kernels.Simd.Activations.BackwardFromInput(Code(act), S(x)[..n], S(dy)[..n], S(dx)[..n]);

    /// <summary>The kernels' activation code (the blob contract's fused codes 0 linear, 1 relu, 2 tanh, 3 sigmoid, 4 relu6; then 5 hard sigmoid, 6 hard swish, 7 silu).</summary>
    internal static int Code(Activation act) => act switch
    {
        Activation.Linear => 0,
        Activation.Relu => 1,
        Activation.Tanh => 2,
        Activation.Sigmoid => 3,
        Activation.Relu6 => 4,
        Activation.HardSigmoid => Kernels.Reference.Activations.HardSigmoid,
        Activation.HardSwish => Kernels.Reference.Activations.HardSwish,
        Activation.Silu => Kernels.Reference.Activations.Silu,
        _ => throw new ArgumentOutOfRangeException(nameof(act), act, null),
    };

    public void Binary(BinaryOp op, Storage a, Storage b, Storage y, int n, int bLength)
    {
        var xs = S(a)[..n];
        var bs = S(b)[..bLength];
        var ys = S(y)[..n];
        if (bLength == 1)
        {
            float v = bs[0];
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(xs, v, ys); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(xs, v, ys); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(xs, v, ys); break;
                default: TensorPrimitives.Divide(xs, v, ys); break;
            }

            return;
        }

        for (int o = 0; o < n; o += bLength)
        {
            var xr = xs.Slice(o, bLength);
            var yr = ys.Slice(o, bLength);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(xr, bs, yr); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(xr, bs, yr); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(xr, bs, yr); break;
                default: TensorPrimitives.Divide(xr, bs, yr); break;
            }
        }
    }

    public void Unary(UnaryOp op, Storage x, Storage y, int n)
    {
        var xs = S(x)[..n];
        var ys = S(y)[..n];
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(xs, ys); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(xs, xs, ys); break;
            case UnaryOp.Exp: TensorPrimitives.Exp(xs, ys); break;
            case UnaryOp.Log: TensorPrimitives.Log(xs, ys); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(xs, ys); break;
            case UnaryOp.Abs: TensorPrimitives.Abs(xs, ys); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    public void Affine(Storage x, Storage y, int n, float scale, float shift)
    {
        TensorPrimitives.Multiply(S(x)[..n], scale, S(y)[..n]);
        if (shift != 0)
        {
            TensorPrimitives.Add(S(y)[..n], shift, S(y)[..n]);
        }
    }

    public void ReduceSum(Storage x, Storage y, int outer, int reduce, int inner, bool mean)
    {
        // x: [outer, reduce, inner] -> y: [outer, inner]
        var xs = S(x);
        var ys = S(y)[..(outer * inner)];
        float scale = mean ? 1f / reduce : 1f;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                ys[o] = TensorPrimitives.Sum(xs.Slice(o * reduce, reduce)) * scale;
            }

            return;
        }

        ys.Clear();
        for (int o = 0; o < outer; o++)
        {
            var yo = ys.Slice(o * inner, inner);
            for (int r = 0; r < reduce; r++)
            {
                TensorPrimitives.Add(yo, xs.Slice(((o * reduce) + r) * inner, inner), yo);
            }

            if (mean)
            {
                TensorPrimitives.Multiply(yo, scale, yo);
            }
        }
    }

    public void ReduceMax(Storage x, Storage y, Storage idx, int outer, int reduce, int inner)
    {
        var xs = S(x);
        var ys = S(y);
        var ix = S(idx);
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                float bv = xs[(o * reduce * inner) + i];
                for (int r = 1; r < reduce; r++)
                {
                    float v = xs[(((o * reduce) + r) * inner) + i];
                    if (v > bv || float.IsNaN(v))
                    {
                        bv = v;
                        best = r;
                    }
                }

                ys[(o * inner) + i] = bv;
                ix[(o * inner) + i] = best;
            }
        }
    }

    public void ReduceMaxBackward(Storage dy, Storage idx, Storage dx, int outer, int reduce, int inner)
    {
        var g = S(dy);
        var ix = S(idx);
        var d = S(dx)[..(outer * reduce * inner)];
        d.Clear();
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int r = (int)ix[(o * inner) + i];
                d[(((o * reduce) + r) * inner) + i] = g[(o * inner) + i];
            }
        }
    }

    public void Broadcast(Storage x, Storage y, int outer, int reduce, int inner, float scale)
    {
        var xs = S(x);
        var ys = S(y);
        for (int o = 0; o < outer; o++)
        {
            var src = xs.Slice(o * inner, inner);
            for (int r = 0; r < reduce; r++)
            {
                TensorPrimitives.Multiply(src, scale, ys.Slice(((o * reduce) + r) * inner, inner));
            }
        }
    }

    public void OneHot(Storage labels, Storage y, int rows, int depth)
    {
        var l = S(labels);
        var ys = S(y)[..(rows * depth)];
        ys.Clear();
        for (int r = 0; r < rows; r++)
        {
            int c = (int)l[r];
            if (c >= 0 && c < depth && c == l[r])
            {
                ys[(r * depth) + c] = 1f;
            }
        }
    }

    public void Slice(Storage x, Storage y, int outer, int count, int inner, int start, int length)
    {
        // x: [outer, count, inner] -> y: [outer, length, inner]
        var xs = S(x);
        var ys = S(y);
        int block = length * inner;
        for (int o = 0; o < outer; o++)
        {
            xs.Slice(((o * count) + start) * inner, block).CopyTo(ys.Slice(o * block, block));
        }
    }

    public void SliceBackward(Storage dy, Storage dx, int outer, int count, int inner, int start, int length)
    {
        var g = S(dy);
        var d = S(dx);
        int block = length * inner;
        for (int o = 0; o < outer; o++)
        {
            var dst = d.Slice(((o * count) + start) * inner, block);
            TensorPrimitives.Add(dst, g.Slice(o * block, block), dst);
        }
    }

    public void Gather(Storage table, Storage idx, Storage y, int rows, int vocab, int dim)
    {
        var t = S(table);
        var ix = S(idx);
        var ys = S(y);
        for (int r = 0; r < rows; r++)
        {
            int v = (int)ix[r];
            if (v < 0 || v >= vocab || v != ix[r])
            {
                throw new ArgumentOutOfRangeException(nameof(idx), $"index {ix[r]} at row {r} is outside the vocabulary 0..{vocab - 1}");
            }

            t.Slice(v * dim, dim).CopyTo(ys.Slice(r * dim, dim));
        }
    }

    public void GatherBackward(Storage dy, Storage idx, Storage dtable, int rows, int vocab, int dim)
    {
        var g = S(dy);
        var ix = S(idx);
        var d = S(dtable);
        for (int r = 0; r < rows; r++)
        {
            var dst = d.Slice((int)ix[r] * dim, dim);
            TensorPrimitives.Add(dst, g.Slice(r * dim, dim), dst);
        }
    }

    public void DropoutMask(Storage mask, int n, float rate, ulong seed)
    {
        var m = S(mask)[..n];
        float keep = 1f - rate;
        float scale = 1f / keep;
        ulong state = seed;
        for (int i = 0; i < n; i++)
        {
            // SplitMix64: reproducible across platforms for a given seed.
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            float u = (z >> 40) * (1f / (1 << 24));
            m[i] = u < keep ? scale : 0f;
        }
    }

    public double[] SquaredNorms(IReadOnlyList<(Storage Storage, int Length)> tensors)
    {
        var r = new double[tensors.Count];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = TensorPrimitives.SumOfSquares(S(tensors[i].Storage)[..tensors[i].Length]);   // one pass, no buffer
        }

        return r;
    }

    public int CountNonFinite(Storage x, int n)
    {
        var xs = S(x)[..n];
        if (float.IsFinite(TensorPrimitives.Sum(xs)))
        {
            return 0; // NaN and ±∞ propagate into the sum; a finite sum means every value is finite.
        }

        int bad = 0;
        foreach (float v in xs)
        {
            if (!float.IsFinite(v))
            {
                bad++;
            }
        }

        return bad;
    }

    public void Dispose()
    {
    }
}
