using EdgeNet.Formats.Contract;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

/// <summary>
/// Differentiable tensor operations (the <c>tf.*</c> functions of the chapter). Each op runs its
/// forward kernel on the inputs' backend and, while a <see cref="GradientTape"/> records, registers
/// its backward pass, written right beside the forward one.
/// </summary>
public static partial class Ops
{
    internal static IBackend SameBackend(params Tensor[] ts)
    {
        var b = ts[0].Backend;
        foreach (var t in ts)
        {
            t.ThrowIfDisposed();
            if (!ReferenceEquals(t.Backend, b))
            {
                throw new InvalidOperationException($"tensors live on different devices ({b.Name} and {t.Backend.Name}); create them on one device");
            }
        }

        return b;
    }

    internal static Tensor NewLike(Tensor t) => Tensor.Empty(t.Shape, t.Backend);

    internal static Tensor New(Shape shape, IBackend backend) => Tensor.Empty(shape, backend);

    private static Tensor?[] Grads(params Tensor?[] g) => g;

    /// <summary>The gradient before a fused activation: dz = act'(y) ⊙ dy from the forward output y (dy itself when linear).</summary>
    private static Tensor FusedActivationGrad(IBackend be, Activation act, Tensor y, Tensor dy)
    {
        if (act == Activation.Linear)
        {
            return dy;
        }

        var dz = NewLike(y);
        be.ActivationBackward(act, y.Storage, dy.Storage, dz.Storage, y.Size);
        return dz;
    }

    /// <summary>A fused bias's gradient: db[cols] = Σ_rows dz over dz [rows, cols].</summary>
    private static Tensor BiasGrad(IBackend be, Tensor bias, Tensor dz, int rows, int cols)
    {
        var db = NewLike(bias);
        be.BiasGrad(dz.Storage, db.Storage, rows, cols, accumulate: false);
        return db;
    }

    /// <summary>Tells the active <see cref="OpRecording"/> recorder (the exporter's tracer) about a one-input op; nothing is allocated when none records.</summary>
    private static void RecordIfActive(string kind, Tensor x, Tensor y)
    {
        if (OpRecording.Active)
        {
            OpRecording.Record(kind, [x], [y]);
        }
    }

    private static void RecordIfActive(string kind, Tensor a, Tensor b, Tensor y)
    {
        if (OpRecording.Active)
        {
            OpRecording.Record(kind, [a, b], [y]);
        }
    }

    /// <summary>A view with another shape sharing the storage (tf.reshape); one dimension may be -1.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        x.ThrowIfDisposed();
        int[] dims = (int[])shape.Clone();
        int infer = Array.IndexOf(dims, -1);
        if (infer >= 0)
        {
            int known = dims.Where((d, i) => i != infer).Aggregate(1, (a, d) => a * d);
            if (known == 0 || x.Size % known != 0)
            {
                throw new ArgumentException($"cannot reshape {x.Shape} into [{string.Join(", ", shape)}]");
            }

            dims[infer] = x.Size / known;
        }

        var s = new Shape(dims);
        if (s.Size != x.Size)
        {
            throw new ArgumentException($"cannot reshape {x.Shape} ({x.Size} values) into {s} ({s.Size} values)");
        }

        x.Storage.AddRef();
        var y = new Tensor(x.Storage, s);
        if (OpRecording.Active)
        {
            OpRecording.Record(OperatorSchemas.Reshape.Name, [x], [y], Attr.Shape.With(s.Rank > 0 ? s.AsSpan()[1..].ToArray() : []));
        }

        GradientTape.Record([x], [y], (g, need) => Grads(Reshape(g[0]!, x.Shape.Dims)));
        return y;
    }

    /// <summary>The same values, never differentiated through (tf.stop_gradient).</summary>
    public static Tensor StopGradient(Tensor x)
    {
        x.Storage.AddRef();
        return new Tensor(x.Storage, x.Shape);
    }
}
