using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Kernels;
using EdgeNet.Kernels.Reference;
using EdgeNet.Runtime.Threading;
using Ref = EdgeNet.Kernels.Reference;
using SimdDw = EdgeNet.Kernels.Simd.DepthwiseConv2D;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// Depthwise convolution over NHWC, float (f32/f16 weights, or int8 weights dequantized) or full int8.
/// x: [B, H, W, C]  kernel: [KH, KW, 1, C·M]  bias: [C·M]  y: [B, OH, OW, C·M]. The SIMD kernels put channels
/// across vector lanes; threads take whole images, or at batch 1 (depth multiplier 1) ranges of output rows.
/// int8 weights are per output channel (per-tensor depthwise weights cost MobileNet most of its accuracy).
/// </summary>
internal sealed unsafe class DepthwiseConv2DOp : OpKernel, IParallelWork
{
    private readonly Window _g;
    private readonly int _m, _f, _act;
    private readonly bool _int8;
    private readonly float[] _w = [], _b = [];
    private readonly int[] _w32 = [], _bias = [], _requant = [], _foldedBias = [];
    private readonly sbyte[] _w8 = [];
    private readonly RequantTable? _table;
    private readonly int _zx, _zy, _lo, _hi;
    private readonly int _threads;
    private byte* _arena;
    private byte* _scratch;
    private int _batch;

    public DepthwiseConv2DOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        var x = Inputs.Length == 1 ? Inputs[0] : throw Fail("takes one value input");
        var k = Weight(0);
        if (x.SampleRank != 3 || k.Dims.Count != 4 || k.Dims[2] != 1 || k.Dims[3] % x.SampleDim(2) != 0)
        {
            throw Fail($"input {x.Info.ShapeText} and kernel {k.ShapeText} do not fit ([N, H, W, C] and [KH, KW, 1, C·M])");
        }

        _f = (int)k.Dims[3];
        _m = _f / x.SampleDim(2);
        _g = Geometry(x, (int)k.Dims[0], (int)k.Dims[1], AttrPair(Attr.Strides), "kernel");
        if (Output.SampleRank != 3 || Output.SampleDim(0) != _g.OutH || Output.SampleDim(1) != _g.OutW || Output.SampleDim(2) != _f)
        {
            throw Fail($"output {Output.Info.ShapeText} is not [N, {_g.OutH}, {_g.OutW}, {_f}] for this kernel, stride and padding");
        }

        _act = ActivationAttr();
        _int8 = Output.Info.Type == ElementType.I8;
        _threads = Pool.Threads;
        if (_int8)
        {
            if (x.Info.Type != ElementType.I8 || k.Type != ElementType.I8 || WeightCount != 3 || Weight(1).Type != ElementType.I32 || Weight(1).ElementCount != _f
                || Weight(2).Type != ElementType.I32 || Weight(2).ElementCount != 2L * _f)
            {
                throw Fail("an int8 DepthwiseConv2D needs int8 input and kernel, an i32 bias [C·M] and an i32 requant table [2, C·M]");
            }

            _zx = x.ZeroPoint;
            _zy = Output.ZeroPoint;
            (_lo, _hi) = Int8Clamp();
            _w8 = Int8Layer.Pin(Blob.GetTensorData<sbyte>(WeightIndex(0)));
            _bias = Int8Layer.Pin(Blob.GetTensorData<int>(WeightIndex(1)));
            _requant = Int8Layer.Pin(Blob.GetTensorData<int>(WeightIndex(2)));
            if (Simd)
            {
                _w32 = GC.AllocateArray<int>(_w8.Length, pinned: true);
                for (int i = 0; i < _w8.Length; i++)
                {
                    _w32[i] = _w8[i];
                }

                _table = new RequantTable(_requant, _f);
                _foldedBias = GC.AllocateArray<int>(_f, pinned: true);
                for (int o = 0; o < _f; o++)
                {
                    // Where every tap of the window is a pixel, Σ(x − zx)·w = Σ x·w − zx·Σ w: the zero point moves into the bias.
                    long sum = 0;
                    for (int t = 0; t < _g.KH * _g.KW; t++)
                    {
                        sum += _w8[(t * _f) + o];
                    }

                    _foldedBias[o] = checked(_bias[o] - (int)(_zx * sum));
                }
            }

            return;
        }

        if (x.Info.Type != ElementType.F32)
        {
            throw Fail($"a float DepthwiseConv2D needs an f32 input; '{x.Info.Name}' is {x.Info.Type}");
        }

        _w = Int8Layer.Pin<float>(FloatWeight(0));
        _b = Int8Layer.Pin<float>(WeightCount > 1 ? FloatWeight(1) : new float[_f]);
        if (_b.Length != _f)
        {
            throw Fail($"bias has {_b.Length} values for {_f} outputs");
        }

        if (_act is not (Activations.Linear or Activations.Relu or Activations.Relu6))
        {
            throw Fail($"a DepthwiseConv2D fuses linear, relu or relu6; got activation code {_act}");
        }
    }

    private long PerThreadScratch => _int8 && Simd ? ((SimdDw.Int8ScratchInts(_g, _m) * sizeof(int)) + 63) / 64 * 64 : 0;

    public override long ScratchBytes(int maxBatch) => PerThreadScratch * _threads;

    public override void Eval(byte* arena, byte* scratch, int batch)
    {
        if (!Simd)
        {
            fixed (float* w = _w, b = _b)
            fixed (sbyte* qw = _w8)
            fixed (int* qb = _bias, rq = _requant)
            {
                if (_int8)
                {
                    Ref.DepthwiseConv2D.Int8(Q(arena, Inputs[0]), batch, _g, _zx, qw, qb, rq, _m, _zy, _lo, _hi, Q(arena, Output));
                }
                else
                {
                    Ref.DepthwiseConv2D.F32(F(arena, Inputs[0]), batch, _g, w, b, _m, _act, F(arena, Output));
                }
            }

            return;
        }

        _arena = arena;
        _scratch = scratch;
        _batch = batch;
        if (_threads > 1)
        {
            Pool.For(this);
        }
        else
        {
            Run(0, 1);
        }
    }

    /// <summary>Whole images when the batch covers the threads (or the multiplier is not 1), else each image's output rows split between them.</summary>
    public void Run(int chunk, int chunks)
    {
        int parts = _batch >= chunks || _m != 1 ? 1 : (chunks + _batch - 1) / _batch;
        for (int item = chunk; item < _batch * parts; item += chunks)
        {
            int n = item / parts, part = item % parts;
            int oh0 = _g.OutH * part / parts, oh1 = _g.OutH * (part + 1) / parts;
            if (oh0 == oh1)
            {
                continue;
            }

            if (_int8)
            {
                fixed (int* w = _w32, b = _bias, fb = _foldedBias)
                {
                    SimdDw.Int8(Q(_arena, Inputs[0]), n, n + 1, oh0, oh1, _g, _zx, w, b, fb, _table!, _m, _zy, _lo, _hi, (int*)(_scratch + (chunk * PerThreadScratch)), Q(_arena, Output));
                }
            }
            else
            {
                fixed (float* w = _w, b = _b)
                {
                    SimdDw.Forward(F(_arena, Inputs[0]), n, n + 1, oh0, oh1, _g, w, b, _m, _act, F(_arena, Output));
                }
            }
        }
    }
}
