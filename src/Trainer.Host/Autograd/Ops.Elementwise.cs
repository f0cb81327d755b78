using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    public static Tensor Add(Tensor a, Tensor b) => Binary(BinaryOp.Add, a, b);

    public static Tensor Sub(Tensor a, Tensor b) => Binary(BinaryOp.Sub, a, b);

    public static Tensor Mul(Tensor a, Tensor b) => Binary(BinaryOp.Mul, a, b);

    public static Tensor Div(Tensor a, Tensor b) => Binary(BinaryOp.Div, a, b);

    /// <summary>
    /// Element-wise a op b. Shapes must be equal, or one operand's shape a suffix of the other's
    /// (a scalar, or a [C] bias against [N, C]): NumPy broadcasting along leading axes.
    /// </summary>
    private static Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        var be = SameBackend(a, b);
        if (a.Size < b.Size || (a.Size == b.Size && a.Rank < b.Rank))
        {
            // Make the larger operand the left one; materialize a broadcast copy of the small left one.
            if (op is BinaryOp.Add or BinaryOp.Mul)
            {
                return Binary(op, b, a);
            }

            return Binary(op, BroadcastTo(a, b.Shape), b);
        }

        CheckSuffix(a.Shape, b.Shape, op);
        int n = a.Size, bl = b.Size;
        var y = NewLike(a);
        be.Binary(op, a.Storage, b.Storage, y.Storage, n, bl);
        GradientTape.Record([a, b], [y], g =>
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

    private static void CheckSuffix(Shape big, Shape small, BinaryOp op)
    {
        if (small.Size == 1)
        {
            return;
        }

        var bs = big.AsSpan();
        var ss = small.AsSpan();
        // Leading 1s of the small shape do not matter ([1, C] against [N, C]).
        while (ss.Length > 0 && ss[0] == 1 && ss.Length > 1)
        {
            ss = ss[1..];
        }

        if (ss.Length > bs.Length || !bs[(bs.Length - ss.Length)..].SequenceEqual(ss))
        {
            throw new ArgumentException($"{op}: shapes {big} and {small} do not broadcast (the smaller must match the trailing dimensions of the larger)");
        }
    }

    /// <summary>Sums a gradient of the big shape down to the broadcast operand's shape.</summary>
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

    /// <summary>Repeats <paramref name="x"/> (whose shape is a suffix of <paramref name="shape"/>) along leading axes.</summary>
    public static Tensor BroadcastTo(Tensor x, Shape shape)
    {
        CheckSuffix(shape, x.Shape, BinaryOp.Add);
        var y = New(shape, x.Backend);
        x.Backend.Broadcast(x.Storage, y.Storage, 1, shape.Size / x.Size, x.Size, 1f);
        GradientTape.Record([x], [y], g => Grads(SumToSuffix(g[0]!, x.Shape)));
        return y;
    }

    /// <summary>y = x·scale + shift.</summary>
    public static Tensor Affine(Tensor x, float scale, float shift)
    {
        var y = NewLike(x);
        x.Backend.Affine(x.Storage, y.Storage, x.Size, scale, shift);
        GradientTape.Record([x], [y], g => Grads(Affine(g[0]!, scale, 0f)));
        return y;
    }

    public static Tensor Square(Tensor x) => Unary(UnaryOp.Square, x);

    public static Tensor Exp(Tensor x) => Unary(UnaryOp.Exp, x);

    public static Tensor Log(Tensor x) => Unary(UnaryOp.Log, x);

    public static Tensor Sqrt(Tensor x) => Unary(UnaryOp.Sqrt, x);

    public static Tensor Abs(Tensor x) => Unary(UnaryOp.Abs, x);

    private static Tensor Unary(UnaryOp op, Tensor x)
    {
        var y = NewLike(x);
        x.Backend.Unary(op, x.Storage, y.Storage, x.Size);
        GradientTape.Record([x], [y], g =>
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
        GradientTape.Record([x], [y], g => Grads(Mul(g[0]!, m)));
        return y;
    }
}
