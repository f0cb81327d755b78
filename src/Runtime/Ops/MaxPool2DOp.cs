using EdgeNet.Runtime.Threading;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Kernels.Reference;
using Ref = EdgeNet.Kernels.Reference;

namespace EdgeNet.Runtime.Ops;

/// <summary>Max pooling over NHWC windows, float or int8 (same scale in and out); SIMD split by image between threads.</summary>
internal sealed unsafe class MaxPool2DOp : OpKernel, EdgeNet.Runtime.Threading.IParallelWork
{
    private readonly Window _g;
    private readonly bool _int8;

    public MaxPool2DOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        var x = Inputs[0];
        if (x.SampleRank != 3 || Output.SampleRank != 3)
        {
            throw Fail($"input {x.Info.ShapeText} and output {Output.Info.ShapeText} must both be [N, H, W, C]");
        }

        int[] pool = AttrPair(Attr.PoolSize);
        int[] strides = AttrPair(Attr.PoolStrides);
        _g = Geometry(x, pool[0], pool[1], strides, "pool window");
        _int8 = x.Info.Type == ElementType.I8;
        if (x.Info.Type != Output.Info.Type || Output.SampleDim(0) != _g.OutH || Output.SampleDim(1) != _g.OutW || Output.SampleDim(2) != _g.InC)
        {
            throw Fail($"output {Output.Info.ShapeText} does not match pooling {x.Info.ShapeText} by {pool[0]}x{pool[1]} stride {strides[0]}");
        }

        if (_int8 && (x.Scale != Output.Scale || x.ZeroPoint != Output.ZeroPoint))
        {
            throw Fail("int8 max pooling needs the same scale and zero point in and out");
        }
    }

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        if (!Simd)
        {
            if (_int8)
            {
                Ref.Pool.MaxPool(Q(arena, Inputs[0]), batch, _g, Q(arena, Output));
            }
            else
            {
                Ref.Pool.MaxPool(F(arena, Inputs[0]), batch, _g, F(arena, Output));
            }

            return;
        }

        pool.For(this, new Frame(arena, scratch, batch), parallel: batch > 1);
    }

    /// <summary>Images [batch·chunk/chunks, batch·(chunk+1)/chunks).</summary>
    public void Run(in Frame frame, int chunk, int chunks)
    {
        byte* arena = frame.Arena;
        int batch = frame.Batch;
        int n0 = batch * chunk / chunks, n1 = batch * (chunk + 1) / chunks;
        long inImage = (long)_g.InH * _g.InW * _g.InC, outImage = (long)_g.OutH * _g.OutW * _g.InC;
        if (_int8)
        {
            EdgeNet.Kernels.Simd.Pool.MaxPool(Q(arena, Inputs[0]) + (n0 * inImage), n1 - n0, _g, Q(arena, Output) + (n0 * outImage));
        }
        else
        {
            EdgeNet.Kernels.Simd.Pool.MaxPool(F(arena, Inputs[0]) + (n0 * inImage), n1 - n0, _g, F(arena, Output) + (n0 * outImage));
        }
    }
}
