using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Threading;
using EdgeNet.Kernels;
using EdgeNet.Kernels.Reference;
using EdgeNet.Kernels.Simd;
using Ref = EdgeNet.Kernels.Reference;
using SimdConv = EdgeNet.Kernels.Simd.Conv2D;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// Conv2D over NHWC, float or full int8. x: [B, H, W, C]  kernel: [KH, KW, C, F]  bias: [F]
/// y: [B, OH, OW, F]. The SIMD float path is an implicit GEMM: the input rows a thread's output rows read
/// (a whole image, or its part of one) are copied into a padded buffer in its scratch and the packed GEMM
/// reads each output pixel's window from it through offset tables (<see cref="ConvTables"/>), no im2col. int8 on x64 does the same over
/// the image widened to int16 (pairs of taps); on arm64 it im2cols into int8 (SDOT) or int16 rows.
/// </summary>
internal sealed unsafe class Conv2DOp : OpKernel, IParallelWork, IBandProducer
{
    private readonly Window _g;
    private readonly int _f;
    private readonly int _act;
    private readonly bool _int8;
    private readonly int _ldCols;
    private readonly FloatLayer? _fl;
    private readonly int _zx, _zy, _lo, _hi;
    private readonly Int8Layer? _q;
    private readonly ConvTables? _tables;

    public Conv2DOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        var x = Inputs.Length == 1 ? Inputs[0] : throw Fail("takes one value input");
        var k = Weight(0);
        if (x.SampleRank != 3 || k.Dims.Count != 4 || k.Dims[2] != x.SampleDim(2))
        {
            throw Fail($"input {x.Info.ShapeText} and kernel {k.ShapeText} do not fit ([N, H, W, C] and [KH, KW, C, F])");
        }

        int[] strides = AttrPair(Attr.Strides);
        _f = (int)k.Dims[3];
        _g = Geometry(x, (int)k.Dims[0], (int)k.Dims[1], strides, "kernel");
        if (Output.SampleRank != 3 || Output.SampleDim(0) != _g.OutH || Output.SampleDim(1) != _g.OutW || Output.SampleDim(2) != _f)
        {
            throw Fail($"output {Output.Info.ShapeText} is not [N, {_g.OutH}, {_g.OutW}, {_f}] for this kernel, stride and padding");
        }

        _act = ActivationAttr();
        _int8 = Output.Info.Type == ElementType.I8;
        _ldCols = _int8 ? Int8Gemm.RowLength(_g.Patch) : _g.Patch;
        if (_int8)
        {
            if (x.Info.Type != ElementType.I8 || k.Type != ElementType.I8 || WeightCount != 3 || Weight(1).Type != ElementType.I32 || Weight(1).ElementCount != _f
                || Weight(2).Type != ElementType.I32 || Weight(2).ElementCount != 2L * _f)
            {
                throw Fail("an int8 Conv2D needs int8 input and kernel, an i32 bias and an i32 requant table [2, F]");
            }

            _zx = x.ZeroPoint;
            _zy = Output.ZeroPoint;
            (_lo, _hi) = Int8Clamp();
            _tables = Simd && Int8Gemm.PairKernels ? new ConvTables(_g, pairs: true) : null;
            _q = new Int8Layer(Blob, WeightIndex(0), WeightIndex(1), WeightIndex(2), _g.Patch, _f, _zx, Simd, _tables?.KMap);
            return;
        }

        if (x.Info.Type != ElementType.F32)
        {
            throw Fail($"a float Conv2D needs an f32 input; '{x.Info.Name}' is {x.Info.Type}");
        }

        var bias = WeightCount > 1 ? FloatWeight(1) : new float[_f];
        if (bias.Length != _f)
        {
            throw Fail($"bias has {bias.Length} values for {_f} outputs");
        }

        _fl = new FloatLayer(FloatWeight(0), bias, _g.Patch, _f, Simd, WeightIndex(0), WeightCount > 1 ? WeightIndex(1) : -1);
        _tables = Simd ? new ConvTables(_g) : null;
    }

    /// <summary>
    /// int8 output rows per accumulator tile where the GEMM's int32 sums go through memory (not with AVX-512, which
    /// requantizes in its registers: one tile of all rows, so each weight panel streams once): the tile's sums [tile, F]
    /// stay in L1/L2 until they are requantized (a whole 112×112×96 expansion's sums are 4.8 MB). A multiple of every
    /// micro-kernel's row block (6 on AVX2, 8 at 128 bits).
    /// </summary>
    internal const int AccTileBytes = 48 * 1024;

    private int AccTileRows => Int8Gemm.RequantizesInKernel ? _g.OutH * _g.OutW
        : Math.Min(_g.OutH * _g.OutW, Math.Max(24, AccTileBytes / (_f * sizeof(int)) / 24 * 24));

    // The padded image [PaddedH, PaddedW, C] (f32, or int16 for the pair kernels) or, int8 on
    // arm64, im2col rows [tile, ldCols]; then for int8 the int32 accumulators [tile, F] (none with AVX-512).
    private long InputScratch => _tables != null
        ? ((_tables.PaddedElements * (_int8 ? sizeof(short) : sizeof(float))) + 63) / 64 * 64
        : (((long)AccTileRows * _ldCols * Int8Gemm.RowElementSize) + 63) / 64 * 64;

    private long PerThreadScratch => !Simd ? 0 : InputScratch + (_int8 && !Int8Gemm.RequantizesInKernel ? (long)AccTileRows * _f * sizeof(int) : 0) + 64;

    internal override FloatLayer? Floats => _fl;

    public override long ScratchBytes(int maxBatch) => PerThreadScratch * Pool.Threads;

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        if (!Simd)
        {
            fixed (float* w = _fl?.Weights, b = _fl?.Bias)
            fixed (sbyte* qw = _q?.Weights)
            fixed (int* qb = _q?.Bias, rq = _q?.Requant)
            {
                if (_int8)
                {
                    Ref.Conv2D.Int8(Q(arena, Inputs[0]), batch, _g, _zx, qw, qb, rq, _f, _zy, _lo, _hi, Q(arena, Output));
                }
                else
                {
                    Ref.Conv2D.F32(F(arena, Inputs[0]), batch, _g, w, b, _f, _act == 1 ? 1 : 0, F(arena, Output));
                    Ref.Activations.Apply(_act, F(arena, Output), Output.Elements(batch));
                }
            }

            return;
        }

        pool.For(this, new Frame(arena, scratch, batch), pool.WorthSplitting((long)batch * _g.OutH * _g.OutW * _f * _g.Patch));

        if (!_int8 && ActivationAfterGemm(_act))
        {
            Kernels.Simd.Activations.Apply(_act, F(arena, Output), Output.Elements(batch));
        }
    }

    /// <summary>
    /// Work items are (image, row range): whole images when the batch covers the threads, else each
    /// image's output rows split between them (batch 1 on two cores).
    /// </summary>
    public void Run(in Frame frame, int chunk, int chunks)
    {
        byte* arena = frame.Arena, mine = frame.Scratch + (chunk * PerThreadScratch);
        int batch = frame.Batch;
        int allRows = _g.OutH * _g.OutW;
        int parts = batch >= chunks ? 1 : (chunks + batch - 1) / batch;
        for (int item = chunk; item < batch * parts; item += chunks)
        {
            int n = item / parts, part = item % parts;
            int rowStart = allRows * part / parts, rows = (allRows * (part + 1) / parts) - rowStart;
            if (rows == 0)
            {
                continue;
            }

            Pixels(arena, n, rowStart, rows, arena + Output.Offset + ((((long)n * allRows) + rowStart) * _f * Output.ElementSize), mine);
        }
    }

    /// <summary>Output pixels [rowStart, rowStart + rows) of image n (row-major over OH·OW) into y ([rows, F]).</summary>
    private void Pixels(byte* arena, int n, int rowStart, int rows, byte* y, byte* mine)
    {
        long inImage = (long)_g.InH * _g.InW * _g.InC;
        if (_int8)
        {
            RunInt8(Q(arena, Inputs[0]) + (n * inImage), mine, (sbyte*)y, rowStart, rows);
            return;
        }

        float* padded = (float*)mine;
        _tables!.Pad(F(arena, Inputs[0]) + (n * inImage), _g, padded, 0f, rowStart, rows);
        fixed (float* w = _fl!.Packed, b = _fl.PaddedBias)
        fixed (int* rowOff = _tables.Rows, colOff = _tables.Cols)
        {
            var a = new TableRows<float>(padded, rowOff + rowStart, colOff);
            PackedGemm.Run(a, rows, _g.Patch, w, b, _f, GemmActivation(_act), (float*)y, _f, 0, PackedGemm.Panels(_f));
        }
    }

    public bool ProducesBands => Simd && !ActivationAfterGemm(_act);

    public long BandScratchBytes(int pixels) => PerThreadScratch;

    public void ProduceRows(byte* arena, int n, int oh0, int oh1, byte* dst, byte* scratch) =>
        Pixels(arena, n, oh0 * _g.OutW, (oh1 - oh0) * _g.OutW, dst, scratch);

    /// <summary>
    /// Output rows [rowStart, rowStart + rows) of one int8 image, a tile of <see cref="AccTileRows"/> at a time: the
    /// GEMM requantizes whole panels in its registers (AVX-512), other sums go through the tile's int32 accumulators.
    /// </summary>
    private void RunInt8(sbyte* image, byte* mine, sbyte* y, int rowStart, int rows)
    {
        int* acc = (int*)(mine + InputScratch);
        int tile = AccTileRows;
        fixed (short* w = _q!.Packed)
        fixed (int* b0 = _q.FoldedBias, rowOff = _tables?.Rows, colOff = _tables?.Cols)
        {
            if (_tables != null)
            {
                _tables.Pad(image, _g, (short*)mine, (short)_zx, rowStart, rows);
            }

            for (int t = 0; t < rows; t += tile)
            {
                int count = Math.Min(tile, rows - t);
                sbyte* yt = y + ((long)t * _f);   // [count, F] int8
                if (_tables != null)
                {
                    var rowsIn = new TableRows<short>((short*)mine, rowOff + rowStart + t, colOff);
                    Int8Gemm.RunRequantized(rowsIn, count, _tables.Cols.Length, w, b0, acc, _q.Table!, _zy, _lo, _hi, yt, 0, Int8Gemm.Panels(_f));
                    continue;
                }

                // x: [tile, ldCols] im2col rows, int8 (SDOT) or int16 (pairs).
                if (Int8Gemm.DotProduct)
                {
                    SimdConv.Im2Col(image, _g, (sbyte*)mine, (sbyte)_zx, _ldCols, rowStart + t, count);
                }
                else
                {
                    SimdConv.Im2ColWiden(image, _g, (short*)mine, (short)_zx, _ldCols, rowStart + t, count);
                }

                Int8Gemm.RunRequantized(mine, _ldCols, count, _g.Patch, w, b0, acc, _q.Table!, _zy, _lo, _hi, yt, 0, Int8Gemm.Panels(_f));
            }
        }
    }
}
