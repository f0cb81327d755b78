using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using Ref = EdgeNet.Kernels.Reference;
using Simd = EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Training.Ops;

/// <summary>
/// Average pooling (and global average pooling: one window over the image, [N, H, W, C] to [N, C]) for training:
/// forward as inference; backward spreads each dy over its window's taps inside the image. x, dx: [N, H, W, C]
/// y, dy: [N, OH, OW, C] (or [N, C]).
/// </summary>
internal sealed unsafe class AvgPool2DTrainOp : TrainOp
{
    private readonly Ref.Window _g;

    public AvgPool2DTrainOp(OperatorDef op, int index, BlobReader blob, IReadOnlyList<ValueSlot> values)
        : base(op, index, blob, values)
    {
        if (X.SampleRank != 3)
        {
            throw Fail($"input {X.Info.ShapeText}; average pooling needs [N, H, W, C]");
        }

        int c = X.SampleDim(2);
        if (op.Opcode == Opcode.GlobalAvgPool2D)
        {
            _g = new Ref.Window(X.SampleDim(0), X.SampleDim(1), c, X.SampleDim(0), X.SampleDim(1), 1, 1, 0, 0, 1, 1);
            if (Y.SampleElements != c)
            {
                throw Fail($"output {Y.Info.ShapeText}; global average pooling gives [N, {c}]");
            }
        }
        else
        {
            int[] pool = Schema.Ints(op, Attr.PoolSize);
            _g = Geometry(pool[0], pool[1], Schema.Ints(op, Attr.PoolStrides), "pool window");
            if (Y.SampleRank != 3 || Y.SampleDim(0) != _g.OutH || Y.SampleDim(1) != _g.OutW || Y.SampleDim(2) != c)
            {
                throw Fail($"output {Y.Info.ShapeText}; the geometry gives [N, {_g.OutH}, {_g.OutW}, {c}]");
            }
        }
    }

    public override void Forward(TrainArena a, int batch, bool simd)
    {
        fixed (float* xp = a.Value(X, batch), yp = a.Value(Y, batch))
        {
            if (simd)
            {
                Simd.Pool.AvgPool(xp, batch, _g, yp);
            }
            else
            {
                Ref.Pool.AvgPool(xp, batch, _g, yp);
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
            fixed (float* gp = a.Grad(Y, batch), dp = a.Grad(X, batch))
            {
                Simd.Pool.AvgPoolBackward(gp, dp, _g, 0, batch);
            }
        }
        else
        {
            Ref.Pool.AvgPoolBackward(a.Grad(Y, batch), a.Grad(X, batch), batch, _g);
        }
    }
}
