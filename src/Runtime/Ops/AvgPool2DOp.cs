using EdgeNet.Runtime.Threading;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Kernels.Reference;
using Ref = EdgeNet.Kernels.Reference;
using SimdPool = EdgeNet.Kernels.Simd.Pool;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// Average pooling over NHWC windows (padding not counted), and global average pooling ([N, H, W, C] to
/// [N, C]: one window over the whole image); float or int8, where Σ(x − zx) over a window of k taps is
/// requantized by the k-th entry of the table the writer stored. SIMD split by image between threads.
/// </summary>
internal sealed unsafe class AvgPool2DOp : OpKernel, EdgeNet.Runtime.Threading.IParallelWork
{
    private readonly Window _g;
    private readonly bool _int8;
    private readonly int[] _requant = [];
    private readonly int _zx, _zy;

    public AvgPool2DOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        var x = Inputs[0];
        if (x.SampleRank != 3)
        {
            throw Fail($"input {x.Info.ShapeText} must be [N, H, W, C]");
        }

        bool global = op.Opcode == Opcode.GlobalAvgPool2D;
        int c = x.SampleDim(2);
        if (global)
        {
            _g = new Window(x.SampleDim(0), x.SampleDim(1), c, x.SampleDim(0), x.SampleDim(1), 1, 1, 0, 0, 1, 1);
            if (Output.SampleRank != 1 || Output.SampleDim(0) != c)
            {
                throw Fail($"output {Output.Info.ShapeText} is not [N, {c}]");
            }
        }
        else
        {
            int[] pool = AttrPair(Attr.PoolSize);
            _g = Geometry(x, pool[0], pool[1], AttrPair(Attr.PoolStrides), "pool window");
            if (Output.SampleRank != 3 || Output.SampleDim(0) != _g.OutH || Output.SampleDim(1) != _g.OutW || Output.SampleDim(2) != c)
            {
                throw Fail($"output {Output.Info.ShapeText} does not match pooling {x.Info.ShapeText} by {pool[0]}x{pool[1]}");
            }
        }

        _int8 = x.Info.Type == ElementType.I8;
        if (x.Info.Type != Output.Info.Type)
        {
            throw Fail($"input ({x.Info.Type}) and output ({Output.Info.Type}) must have one type");
        }

        if (!_int8)
        {
            return;
        }

        int taps = _g.KH * _g.KW;
        long stored = global ? 2 : 2L * taps;
        if (WeightCount != 1 || Weight(0).Type != ElementType.I32 || Weight(0).ElementCount != stored)
        {
            throw Fail($"an int8 {(global ? "global average" : "average")} pooling needs an i32 requant table [2, {stored / 2}]");
        }

        var table = Blob.GetTensorData<int>(WeightIndex(0));
        _requant = GC.AllocateArray<int>(2 * taps, pinned: true);
        for (int k = 0; k < taps; k++)
        {
            // Global pooling stores the one window's multiplier (H·W taps); the kernels index the table by taps − 1.
            int at = global ? 0 : k;
            _requant[k] = table[at];
            _requant[taps + k] = table[(int)(stored / 2) + at];
            if (Int8Arithmetic.ShiftProblem(_requant[taps + k]) is { } problem)
            {
                throw Fail($"requant table: {problem}");
            }
        }

        (_zx, _zy) = (x.ZeroPoint, Output.ZeroPoint);
    }

    public override long ScratchBytes(int maxBatch) => _int8 && Simd ? ((((long)_g.InC * sizeof(int)) + 63) / 64 * 64) * Pool.Threads : 0;

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        if (!Simd)
        {
            fixed (int* rq = _requant)
            {
                if (_int8)
                {
                    Ref.Pool.AvgPoolInt8(Q(arena, Inputs[0]), batch, _g, _zx, rq, _zy, Q(arena, Output));
                }
                else
                {
                    Ref.Pool.AvgPool(F(arena, Inputs[0]), batch, _g, F(arena, Output));
                }
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
            fixed (int* rq = _requant)
            {
                int* acc = (int*)(frame.Scratch + (chunk * ((((long)_g.InC * sizeof(int)) + 63) / 64 * 64)));
                SimdPool.AvgPoolInt8(Q(arena, Inputs[0]) + (n0 * inImage), n1 - n0, _g, _zx, rq, _zy, acc, Q(arena, Output) + (n0 * outImage));
            }
        }
        else
        {
            SimdPool.AvgPool(F(arena, Inputs[0]) + (n0 * inImage), n1 - n0, _g, F(arena, Output) + (n0 * outImage));
        }
    }
}
