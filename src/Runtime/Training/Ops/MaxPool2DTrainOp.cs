using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using Ref = EdgeNet.Kernels.Reference;
using Simd = EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Training.Ops;

/// <summary>Max pooling for training: forward as inference; backward routes each dy to its window's first maximum. x, dx: [N, H, W, C]  y, dy: [N, OH, OW, C].</summary>
internal sealed unsafe class MaxPool2DTrainOp : TrainOp
{
    private readonly Ref.Window _g;

    public MaxPool2DTrainOp(OperatorDef op, int index, BlobReader blob, IReadOnlyList<ValueSlot> values)
        : base(op, index, blob, values)
    {
        if (X.SampleRank != 3)
        {
            throw Fail($"input {X.Info.ShapeText}; max pooling needs [N, H, W, C]");
        }

        int[] pool = Schema.Ints(op, Attr.PoolSize);
        _g = Geometry(pool[0], pool[1], Schema.Ints(op, Attr.PoolStrides), "pool window");
        if (Y.SampleRank != 3 || Y.SampleDim(0) != _g.OutH || Y.SampleDim(1) != _g.OutW || Y.SampleDim(2) != X.SampleDim(2))
        {
            throw Fail($"output {Y.Info.ShapeText}; the geometry gives [N, {_g.OutH}, {_g.OutW}, {X.SampleDim(2)}]");
        }
    }

    public override bool NeedsX => true;

    public override bool NeedsY => true;

    public override void Forward(TrainArena a, int batch, bool simd)
    {
        fixed (float* xp = a.Value(X, batch), yp = a.Value(Y, batch))
        {
            if (simd)
            {
                Simd.Pool.MaxPool(xp, batch, _g, yp);
            }
            else
            {
                Ref.Pool.MaxPool(xp, batch, _g, yp);
            }
        }
    }

    public override void Backward(TrainArena a, int batch, bool simd, bool needDx)
    {
        if (!needDx)
        {
            return;
        }

        if (simd)
        {
            Simd.Pool.MaxPoolBackward(a.Value(X, batch), a.Value(Y, batch), a.Grad(Y, batch), a.Grad(X, batch), _g, 0, batch);
        }
        else
        {
            Ref.Pool.MaxPoolBackward(a.Value(X, batch), a.Value(Y, batch), a.Grad(Y, batch), a.Grad(X, batch), batch, _g);
        }
    }
}
