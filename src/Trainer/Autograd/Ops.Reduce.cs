using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    /// <summary>(outer, reduce, inner) of a reduction over <paramref name="axis"/>; null axis = all.</summary>
    private static (int Outer, int Reduce, int Inner, int[] OutDims) Split(Shape s, int? axis, bool keepDims)
    {
        if (axis is null)
        {
            return (1, s.Size, 1, keepDims ? Enumerable.Repeat(1, s.Rank).ToArray() : []);
        }

        int ax = axis.Value < 0 ? s.Rank + axis.Value : axis.Value;
        if (ax < 0 || ax >= s.Rank)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is outside a rank-{s.Rank} tensor {s}");
        }

        var d = s.AsSpan();
        int outer = 1, inner = 1;
        for (int i = 0; i < ax; i++)
        {
            outer *= d[i];
        }

        for (int i = ax + 1; i < d.Length; i++)
        {
            inner *= d[i];
        }

        var outDims = keepDims ? d.ToArray() : d.ToArray().Where((_, i) => i != ax).ToArray();
        if (keepDims)
        {
            outDims[ax] = 1;
        }

        return (outer, d[ax], inner, outDims);
    }

    /// <summary>The sum over <paramref name="axis"/> (every axis when null), keeping it as size 1 when <paramref name="keepDims"/> (tf.reduce_sum).</summary>
    public static Tensor ReduceSum(Tensor x, int? axis = null, bool keepDims = false) => Reduce(x, axis, keepDims, mean: false);

    /// <summary>The mean over <paramref name="axis"/> (every axis when null), keeping it as size 1 when <paramref name="keepDims"/> (tf.reduce_mean).</summary>
    public static Tensor ReduceMean(Tensor x, int? axis = null, bool keepDims = false) => Reduce(x, axis, keepDims, mean: true);

    private static Tensor Reduce(Tensor x, int? axis, bool keepDims, bool mean)
    {
        var (outer, reduce, inner, outDims) = Split(x.Shape, axis, keepDims);
        var y = New(new Shape(outDims), x.Backend);
        RecordIfActive(mean ? "reduce_mean" : "reduce_sum", x, y);
        x.Backend.ReduceSum(x.Storage, y.Storage, outer, reduce, inner, mean);
        GradientTape.Record([x], [y], (g, need) =>
        {
            var dx = NewLike(x);
            x.Backend.Broadcast(g[0]!.Storage, dx.Storage, outer, reduce, inner, mean ? 1f / reduce : 1f);
            return Grads(dx);
        });
        return y;
    }

    /// <summary>Maximum along an axis (tf.reduce_max); the gradient goes to the first maximum.</summary>
    public static Tensor ReduceMax(Tensor x, int axis = -1, bool keepDims = false)
    {
        var (outer, reduce, inner, outDims) = Split(x.Shape, axis, keepDims);
        var y = New(new Shape(outDims), x.Backend);
        var idx = New(new Shape(outDims), x.Backend);
        x.Backend.ReduceMax(x.Storage, y.Storage, idx.Storage, outer, reduce, inner);
        GradientTape.Record([x], [y], (g, need) =>
        {
            var dx = NewLike(x);
            x.Backend.ReduceMaxBackward(g[0]!.Storage, idx.Storage, dx.Storage, outer, reduce, inner);
            return Grads(dx);
        });
        return y;
    }

    /// <summary>Index of the maximum along the last axis, as float class indices (not differentiable).</summary>
    public static Tensor ArgMax(Tensor x)
    {
        var (outer, reduce, inner, outDims) = Split(x.Shape, -1, keepDims: false);
        var y = New(new Shape(outDims), x.Backend);
        var idx = New(new Shape(outDims), x.Backend);
        x.Backend.ReduceMax(x.Storage, y.Storage, idx.Storage, outer, reduce, inner);
        y.Dispose();
        return idx;
    }
}
