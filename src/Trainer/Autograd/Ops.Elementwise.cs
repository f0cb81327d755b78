using EdgeNet.Formats.Contract;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    /// <summary>a + b, with NumPy broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary(BinaryOp.Add, a, b);

    /// <summary>a − b, with NumPy broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => Binary(BinaryOp.Sub, a, b);

    /// <summary>
    /// a × b element-wise, with NumPy broadcasting. While an exporter traces, a product of one shape or of a feature map
    /// and a [N, 1, …, 1, C] gate is recorded as the contract's <c>mul</c> (the map first), whatever the broadcast runs inside.
    /// </summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        if (!OpRecording.Active)
        {
            return Binary(BinaryOp.Mul, a, b);
        }

        var (x, s) = ChannelGate(a, b) ? (b, a) : (a, b);
        if (!x.Shape.Equals(s.Shape) && !ChannelGate(s, x))
        {
            return Binary(BinaryOp.Mul, a, b);
        }

        var y = Unrecorded(() => Binary(BinaryOp.Mul, x, s));
        OpRecording.Record(OperatorSchemas.Mul.Name, [x, s], [y]);
        return y;
    }

    /// <summary>True when <paramref name="gate"/> is [N, 1, …, 1, C] against a <paramref name="map"/> [N, …, C] of more than one value per channel.</summary>
    private static bool ChannelGate(Tensor gate, Tensor map)
    {
        var (g, m) = (gate.Shape, map.Shape);
        if (g.Rank != m.Rank || g.Rank < 3 || g[0] != m[0] || g[-1] != m[-1] || g.Size == m.Size)
        {
            return false;
        }

        for (int i = 1; i < g.Rank - 1; i++)
        {
            if (g[i] != 1)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>a / b element-wise, with NumPy broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b) => Binary(BinaryOp.Div, a, b);

    /// <summary>
    /// Element-wise a op b with NumPy broadcasting. The common cases (equal shapes, a scalar, or a
    /// [C] bias against [N, C]) run in one kernel; other broadcasts ([N, 1] against [N, C]) expand
    /// the operand first.
    /// </summary>
    private static Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        var be = SameBackend(a, b);
        if (!IsSuffix(a.Shape, b.Shape))
        {
            if (IsSuffix(b.Shape, a.Shape) && op is BinaryOp.Add or BinaryOp.Mul)
            {
                return Binary(op, b, a);
            }

            var target = BroadcastShape(a.Shape, b.Shape, op);
            var ax = a.Shape.Equals(target) ? a : BroadcastTo(a, target);
            var bx = b.Shape.Equals(target) ? b : BroadcastTo(b, target);
            return Binary(op, ax, bx);
        }

        int n = a.Size, bl = b.Size;
        var y = NewLike(a);
        if (OpRecording.Active)
        {
            // The sum of two tensors of one shape is the contract's add (a residual connection); other forms stay trace-only.
            OpRecording.Record(op == BinaryOp.Add && a.Shape.Equals(b.Shape) ? OperatorSchemas.Add.Name : "binary_" + op.ToString().ToLowerInvariant(), [a, b], [y]);
        }
        be.Binary(op, a.Storage, b.Storage, y.Storage, n, bl);
        GradientTape.Record([a, b], [y], (g, need) =>
        {
            var gy = g[0]!;
            Tensor? ga = null, gb = null;
            switch (op)
            {
                case BinaryOp.Add:
                    ga = gy;
                    gb = SumToSuffix(gy, b.Shape);
                    break;
                case BinaryOp.Sub:
                    ga = gy;
                    gb = SumToSuffix(Affine(gy, -1f, 0f), b.Shape);
                    break;
                case BinaryOp.Mul:
                    ga = Mul(gy, b);
                    gb = SumToSuffix(Mul(gy, a), b.Shape);
                    break;
                case BinaryOp.Div:
                    ga = Div(gy, b);
                    gb = SumToSuffix(Affine(Div(Mul(gy, y), b), -1f, 0f), b.Shape);
                    break;
            }

            return Grads(ga, gb);
        });
        return y;
    }

    /// <summary>True when <paramref name="small"/> (less leading 1s) is a trailing part of <paramref name="big"/>, or a scalar.</summary>
    private static bool IsSuffix(Shape big, Shape small)
    {
        if (small.Size == 1 && big.Size >= 1)
        {
            return true;
        }

        var bs = big.AsSpan();
        var ss = small.AsSpan();
        while (ss.Length > 1 && ss[0] == 1)
        {
            ss = ss[1..];
        }

        return ss.Length <= bs.Length && bs[(bs.Length - ss.Length)..].SequenceEqual(ss) && big.Size >= small.Size;
    }

    private static Shape BroadcastShape(Shape a, Shape b, BinaryOp op)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Rank) >= 0 ? a[i - (rank - a.Rank)] : 1;
            int db = i - (rank - b.Rank) >= 0 ? b[i - (rank - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException($"{op}: shapes {a} and {b} do not broadcast (dimension {i}: {da} vs {db})");
            }

            dims[i] = Math.Max(da, db);
        }

        return new Shape(dims);
    }

    /// <summary>Sums a gradient of the big shape down to the suffix operand's shape.</summary>
    private static Tensor SumToSuffix(Tensor g, Shape target)
    {
        if (g.Size == target.Size)
        {
            return g.Shape.Equals(target) ? g : Reshape(g, target.Dims);
        }

        var y = New(target, g.Backend);
        g.Backend.ReduceSum(g.Storage, y.Storage, 1, g.Size / target.Size, target.Size, mean: false);
        return y;
    }

    /// <summary>NumPy broadcast of <paramref name="x"/> to <paramref name="shape"/> (tf.broadcast_to), one expanded axis at a time.</summary>
    public static Tensor BroadcastTo(Tensor x, Shape shape)
    {
        if (x.Rank > shape.Rank)
        {
            throw new ArgumentException($"cannot broadcast {x.Shape} to the lower-rank {shape}");
        }

        var cur = x.Rank == shape.Rank ? x : Reshape(x, [.. Enumerable.Repeat(1, shape.Rank - x.Rank), .. x.Shape.AsSpan().ToArray()]);
        for (int axis = 0; axis < shape.Rank; axis++)
        {
            if (cur.Shape[axis] == shape[axis])
            {
                continue;
            }

            if (cur.Shape[axis] != 1)
            {
                throw new ArgumentException($"cannot broadcast {x.Shape} to {shape} (dimension {axis})");
            }

            cur = ExpandAxis(cur, axis, shape[axis]);
        }

        return cur;
    }

    /// <summary>Repeats a size-1 axis n times; the gradient sums over it.</summary>
    private static Tensor ExpandAxis(Tensor x, int axis, int n)
    {
        var (outer, _, inner) = AxisSplit(x.Shape, axis);
        var dims = x.Shape.Dims;
        dims[axis] = n;
        var y = New(new Shape(dims), x.Backend);
        x.Backend.Broadcast(x.Storage, y.Storage, outer, n, inner, 1f);
        GradientTape.Record([x], [y], (g, need) =>
        {
            var dx = NewLike(x);
            x.Backend.ReduceSum(g[0]!.Storage, dx.Storage, outer, n, inner, mean: false);
            return Grads(dx);
        });
        return y;
    }

    /// <summary>y = x·scale + shift.</summary>
    public static Tensor Affine(Tensor x, float scale, float shift)
    {
        var y = NewLike(x);
        RecordIfActive("affine", x, y);
        x.Backend.Affine(x.Storage, y.Storage, x.Size, scale, shift);
        GradientTape.Record([x], [y], (g, need) => Grads(Affine(g[0]!, scale, 0f)));
        return y;
    }

    /// <summary>x², element-wise.</summary>
    public static Tensor Square(Tensor x) => Unary(UnaryOp.Square, x);

    /// <summary>eˣ, element-wise.</summary>
    public static Tensor Exp(Tensor x) => Unary(UnaryOp.Exp, x);

    /// <summary>ln x, element-wise.</summary>
    public static Tensor Log(Tensor x) => Unary(UnaryOp.Log, x);

    /// <summary>√x, element-wise.</summary>
    public static Tensor Sqrt(Tensor x) => Unary(UnaryOp.Sqrt, x);

    /// <summary>|x|, element-wise.</summary>
    public static Tensor Abs(Tensor x) => Unary(UnaryOp.Abs, x);

    private static Tensor Unary(UnaryOp op, Tensor x)
    {
        var y = NewLike(x);
        if (OpRecording.Active)
        {
            OpRecording.Record("unary_" + op.ToString().ToLowerInvariant(), [x], [y]);
        }
        x.Backend.Unary(op, x.Storage, y.Storage, x.Size);
        GradientTape.Record([x], [y], (g, need) =>
        {
            var gy = g[0]!;
            return Grads(op switch
            {
                UnaryOp.Square => Mul(gy, Affine(x, 2f, 0f)),
                UnaryOp.Exp => Mul(gy, y),
                UnaryOp.Log => Div(gy, x),
                UnaryOp.Sqrt => Div(gy, Affine(y, 2f, 0f)),
                UnaryOp.Abs => Mul(gy, Sign(x)),
                _ => Affine(gy, -1f, 0f),
            });
        });
        return y;
    }

    /// <summary>−1, 0 or 1 per element (not differentiable).</summary>
    public static Tensor Sign(Tensor x)
    {
        var v = x.ToArray();
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = MathF.Sign(v[i]);
        }

        return Tensor.FromArray(v, x.Shape, x.Backend);
    }

    /// <summary>Clips to [lo, hi]; the gradient flows only where the value was inside.</summary>
    public static Tensor ClipByValue(Tensor x, float lo, float hi)
    {
        var v = x.ToArray();
        var mask = new float[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            mask[i] = v[i] >= lo && v[i] <= hi ? 1f : 0f;
            v[i] = Math.Clamp(v[i], lo, hi);
        }

        var y = Tensor.FromArray(v, x.Shape, x.Backend);
        var m = Tensor.FromArray(mask, x.Shape, x.Backend);
        GradientTape.Record([x], [y], (g, need) => Grads(Mul(g[0]!, m)));
        return y;
    }
}
