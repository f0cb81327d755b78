using EdgeNet.Formats.Enb;
using EdgeNet.Formats.Contract;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    private static (int Outer, int Count, int Inner) AxisSplit(Shape s, int axis)
    {
        int ax = axis < 0 ? s.Rank + axis : axis;
        if (ax < 0 || ax >= s.Rank)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is outside a rank-{s.Rank} tensor {s}");
        }

        int outer = 1, inner = 1;
        for (int i = 0; i < ax; i++)
        {
            outer *= s[i];
        }

        for (int i = ax + 1; i < s.Rank; i++)
        {
            inner *= s[i];
        }

        return (outer, s[ax], inner);
    }

    /// <summary>Elements [start, start+length) along <paramref name="axis"/> (the axis is kept).</summary>
    public static Tensor Slice(Tensor x, int axis, int start, int length)
    {
        var (outer, count, inner) = AxisSplit(x.Shape, axis);
        if (start < 0 || length < 1 || start + length > count)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"slice [{start}, {start + length}) is outside axis {axis} of {x.Shape}");
        }

        int ax = axis < 0 ? x.Rank + axis : axis;
        var dims = x.Shape.Dims;
        dims[ax] = length;
        var y = New(new Shape(dims), x.Backend);
        x.Backend.Slice(x.Storage, y.Storage, outer, count, inner, start, length);
        if (OpRecording.Active)
        {
            OpRecording.Record("slice", [x], [y], new("axis", EnbValue.I32(ax)), new("start", EnbValue.I32(start)), new("length", EnbValue.I32(length)));
        }
        GradientTape.Record([x], [y], (g, need) =>
        {
            var dx = Tensor.Zeros(x.Shape, x.Backend);
            x.Backend.SliceBackward(g[0]!.Storage, dx.Storage, outer, count, inner, start, length);
            return Grads(dx);
        });
        return y;
    }

    /// <summary>Index <paramref name="index"/> along <paramref name="axis"/>, dropping the axis (numpy's x[:, t, :]).</summary>
    public static Tensor Take(Tensor x, int axis, int index)
    {
        int ax = axis < 0 ? x.Rank + axis : axis;
        var s = Slice(x, ax, index, 1);
        return Reshape(s, x.Shape.Dims.Where((_, i) => i != ax).ToArray());
    }

    /// <summary>Concatenation along <paramref name="axis"/> (tf.concat).</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> xs, int axis = -1)
    {
        var be = SameBackend([.. xs]);
        var first = xs[0].Shape;
        int ax = axis < 0 ? first.Rank + axis : axis;
        int total = 0;
        foreach (var t in xs)
        {
            if (t.Rank != first.Rank || Enumerable.Range(0, first.Rank).Any(i => i != ax && t.Shape[i] != first[i]))
            {
                throw new ArgumentException($"Concat along axis {axis}: shapes {first} and {t.Shape} differ elsewhere");
            }

            total += t.Shape[ax];
        }

        var dims = first.Dims;
        dims[ax] = total;
        var y = Tensor.Zeros(new Shape(dims), be);
        var (outer, count, inner) = AxisSplit(y.Shape, ax);
        int start = 0;
        var starts = new int[xs.Count];
        for (int i = 0; i < xs.Count; i++)
        {
            starts[i] = start;
            be.SliceBackward(xs[i].Storage, y.Storage, outer, count, inner, start, xs[i].Shape[ax]);
            start += xs[i].Shape[ax];
        }

        if (OpRecording.Active && ax == first.Rank - 1)
        {
            OpRecording.Record(OperatorSchemas.Concat.Name, [.. xs], [y]);
        }

        GradientTape.Record([.. xs], [y], (g, need) =>
        {
            var grads = new Tensor?[xs.Count];
            for (int i = 0; i < xs.Count; i++)
            {
                var d = NewLike(xs[i]);
                be.Slice(g[0]!.Storage, d.Storage, outer, count, inner, starts[i], xs[i].Shape[ax]);
                grads[i] = d;
            }

            return grads;
        });
        return y;
    }

    /// <summary>One-hot encoding (tf.one_hot): [..] class indices → [.., depth]. Not differentiable.</summary>
    public static Tensor OneHot(Tensor indices, int depth)
    {
        var y = New(new Shape([.. indices.Shape.Dims, depth]), indices.Backend);
        indices.Backend.OneHot(indices.Storage, y.Storage, indices.Size, depth);
        if (OpRecording.Active)
        {
            OpRecording.Record(OperatorSchemas.OneHot.Name, [indices], [y], Attr.Depth.With(depth));
        }
        return y;
    }

    /// <summary>Rows of <paramref name="table"/> [vocab, dim] at <paramref name="indices"/> [..] → [.., dim] (embedding lookup).</summary>
    public static Tensor Gather(Tensor table, Tensor indices)
    {
        var be = SameBackend(table, indices);
        int vocab = table.Shape[0], dim = table.Shape[1];
        var y = New(new Shape([.. indices.Shape.Dims, dim]), be);
        be.Gather(table.Storage, indices.Storage, y.Storage, indices.Size, vocab, dim);
        RecordIfActive(OperatorSchemas.Embedding.Name, indices, table, y);
        GradientTape.Record([table, indices], [y], (g, need) =>
        {
            var dt = Tensor.Zeros(table.Shape, be);
            be.GatherBackward(g[0]!.Storage, indices.Storage, dt.Storage, indices.Size, vocab, dim);
            return Grads(dt, null);
        });
        return y;
    }
}
