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
/// On a small padded map (MobileNet's last stages: 6×6, 3×3, where most windows reach the padding and would take the
/// kernels' checked edge loop) each image is first copied into a zero-bordered scratch (int8: bordered by the zero
/// point), so every window runs the check-free loop (3×3 and 5×5). The int8 rows over a ring need no copy: they widen
/// each input row into a ring that carries the padding itself (AVX-512: floats, 3×3 at stride 1 across, 5×5 at stride 1
/// or 2; AVX512-VNNI: int16 column pairs, 3×3 at stride 1 or 2 across).
/// </summary>
internal sealed unsafe partial class DepthwiseConv2DOp : OpKernel, IParallelWork
{
    private readonly Window _g;
    private readonly int _m, _f, _act;
    private readonly bool _int8;
    private readonly float[] _w = [], _b = [];
    private readonly int[] _w32 = [], _bias = [], _requant = [], _foldedBias = [];
    private readonly float[] _wf = [];      // the int8 weights as floats (the AVX-512 int8 path multiplies in exact float FMAs)

    /// <summary>Values after the weights and biases a last group of fewer than 16 channels reads whole vectors over.</summary>
    private const int VectorPadding = 16;
    private readonly sbyte[] _w8 = [];
    private readonly RequantTable? _table;
    private readonly int _zx, _zy, _lo, _hi;
    private readonly Window _padded;        // the window over the bordered copy: no padding; InH = InW = 0 when not used
    private readonly long _paddedBytes;     // one bordered image, rounded to 64 bytes

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
        _padded = BorderedWindow(_g, _m, Simd, _int8);
        _paddedBytes = _padded.InH == 0 ? 0 : (((long)_padded.InH * _padded.InW * _padded.InC * (_int8 ? 1 : 4)) + 63) / 64 * 64;
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
            _bias = Int8Layer.Pin(Blob.GetTensorData<int>(WeightIndex(1)), VectorPadding);
            _requant = Int8Layer.Pin(Blob.GetTensorData<int>(WeightIndex(2)));
            if (Simd)
            {
                _w32 = GC.AllocateArray<int>(_w8.Length + VectorPadding, pinned: true);
                _wf = GC.AllocateArray<float>(_w8.Length + VectorPadding, pinned: true);
                for (int i = 0; i < _w8.Length; i++)
                {
                    (_w32[i], _wf[i]) = (_w8[i], _w8[i]);
                }

                _table = new RequantTable(_requant, _f);
                _foldedBias = GC.AllocateArray<int>(_f + VectorPadding, pinned: true);
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

    private long AccBytes => _int8 && Simd ? ((SimdDw.Int8ScratchInts(_g, _m) * sizeof(int)) + 63) / 64 * 64 : 0;

    private long PerThreadScratch => AccBytes + _paddedBytes;

    /// <summary>One thread's scratch: its accumulators or bordered image, then, depth-first, its band, the producer's scratch, its output band and the consumer's scratch.</summary>
    private long ThreadScratch => PerThreadScratch + BandThreadBytes;

    public override long ScratchBytes(int maxBatch) => ThreadScratch * Pool.Threads;

    /// <summary>
    /// The window over a bordered copy of one image when a 3×3 (or, in f32, 5×5), multiplier-1 SIMD convolution pads a map whose smaller output
    /// side is at most 14 (a quarter or more of its windows touch the padding); else default. The int8 ring rows (AVX-512
    /// floats or AVX512-VNNI column pairs) carry their own padding (<see cref="SimdDw.Int8PadsItself"/>).
    /// </summary>
    private static Window BorderedWindow(in Window g, int m, bool simd, bool int8)
    {
        bool padded = g.PadTop > 0 || g.PadLeft > 0 || ((g.OutH - 1) * g.SH) + g.KH > g.InH + g.PadTop || ((g.OutW - 1) * g.SW) + g.KW > g.InW + g.PadLeft;
        if (!simd || m != 1 || g.KH != g.KW || g.KH is not (3 or 5) || (int8 && (g.KH != 3 || SimdDw.Int8PadsItself(g, m))) || !padded || Math.Min(g.OutH, g.OutW) > 14)
        {
            return default;
        }

        return g with { InH = ((g.OutH - 1) * g.SH) + g.KH, InW = ((g.OutW - 1) * g.SW) + g.KW, PadTop = 0, PadLeft = 0 };
    }

    // x: [B, H, W, C] image n  →  dst: [H', W', C] with x at (PadTop, PadLeft) and fill elsewhere (elem bytes per value);
    // each byte written once: the rows above and below, and the columns left and right of the image, filled.
    private void Border(byte* x, int n, byte* dst, int elem, sbyte fill)
    {
        var (g, p) = (_g, _padded);
        long row = (long)g.InW * g.InC * elem, prow = (long)p.InW * p.InC * elem, px = (long)g.InC * elem;
        long copy = Math.Min(row, (p.InW - g.PadLeft) * px), left = g.PadLeft * px, right = prow - left - copy;
        int rows = Math.Min(g.InH, p.InH - g.PadTop);
        byte* src = x + ((long)n * g.InH * row);
        new Span<byte>(dst, (int)(g.PadTop * prow)).Fill((byte)fill);
        for (int r = 0; r < rows; r++)
        {
            byte* d = dst + ((r + g.PadTop) * prow);
            new Span<byte>(d, (int)left).Fill((byte)fill);
            Buffer.MemoryCopy(src + (r * row), d + left, copy, copy);
            new Span<byte>(d + left + copy, (int)right).Fill((byte)fill);
        }

        new Span<byte>(dst + ((g.PadTop + rows) * prow), (int)((p.InH - g.PadTop - rows) * prow)).Fill((byte)fill);
    }

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
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

        pool.For(this, new Frame(arena, scratch, batch), pool.WorthSplitting(Macs(batch)));
    }

    private long Macs(int batch) => (long)batch * _g.OutH * _g.OutW * _f * _g.KH * _g.KW;

    /// <summary>Whole images when the batch covers the threads (or the multiplier is not 1), else each image's output rows split between them.</summary>
    public void Run(in Frame frame, int chunk, int chunks)
    {
        byte* arena = frame.Arena;
        int batch = frame.Batch;
        int parts = batch >= chunks || _m != 1 ? 1 : (chunks + batch - 1) / batch;
        for (int item = chunk; item < batch * parts; item += chunks)
        {
            int n = item / parts, part = item % parts;
            int oh0 = _g.OutH * part / parts, oh1 = _g.OutH * (part + 1) / parts;
            if (oh0 == oh1)
            {
                continue;
            }

            byte* mine = frame.Scratch + (chunk * ThreadScratch);
            byte* y = arena + Output.Offset;
            long outImage = (long)_g.OutH * _g.OutW * _f * Output.ElementSize;
            if (_producer is not null)
            {
                Bands(arena, n, oh0, oh1, y + (n * outImage), mine);
            }
            else if (_padded.InH > 0 && parts == 1)
            {
                // One bordered image in this thread's scratch, as image 0 (int8: bordered by the zero point); the output stays image n.
                int elem = Inputs[0].ElementSize;
                Border(arena + Inputs[0].Offset, n, mine + AccBytes, elem, elem == 1 ? (sbyte)_zx : (sbyte)0);
                Rows(mine + AccBytes, 0, _padded, oh0, oh1, y + (n * outImage), mine);
            }
            else
            {
                Rows(arena + Inputs[0].Offset, n, _g, oh0, oh1, y, mine);
            }
        }
    }

    /// <summary>Output rows [oh0, oh1) of image <paramref name="n"/>: x [B, H, W, C] over window g → y [B, OH, OW, C·M]; mine: the thread's scratch.</summary>
    private void Rows(byte* x, int n, in Window g, int oh0, int oh1, byte* y, byte* mine)
    {
        if (_int8)
        {
            fixed (int* w = _w32, b = _bias, fb = _foldedBias)
            fixed (float* wf = _wf)
            {
                SimdDw.Int8((sbyte*)x, n, n + 1, oh0, oh1, g, _zx, w, wf, b, fb, _table!, _m, _zy, _lo, _hi, (int*)mine, (sbyte*)y);
            }

            return;
        }

        fixed (float* w = _w, b = _b)
        {
            SimdDw.Forward((float*)x, n, n + 1, oh0, oh1, g, w, b, _m, _act, (float*)y);
        }
    }
}
