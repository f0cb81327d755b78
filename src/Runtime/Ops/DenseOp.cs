using System.Numerics.Tensors;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Threading;
using EdgeNet.Kernels;
using EdgeNet.Kernels.Simd;
using Ref = EdgeNet.Kernels.Reference;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// Dense: y = act(x·kernel + bias) over the last axis. Float (f32, f16 or int8-weight-only kernels,
/// all computed in f32) or full int8 (int8 in and out, int32 bias, requantization table).
/// x: [rows, k]  kernel: [k, n]  bias: [n]  y: [rows, n]. A pointwise Conv2D (1×1 kernel [1, 1, k, n], stride 1,
/// no padding: MobileNet's expansions and projections) is the same product over the image's pixels as rows, so
/// it runs here straight from the activation (no padded copy, no row tables).
/// </summary>
internal sealed unsafe class DenseOp : OpKernel, IParallelWork, IBandProducer
{
    private readonly int _k;
    private readonly int _n;
    private readonly int _act;           // 0 linear, 1 relu, 2 tanh, 3 sigmoid
    private readonly bool _int8;
    private readonly FloatLayer? _fl;
    private readonly int _zx;
    private readonly int _zy;
    private readonly int _lo, _hi;
    private readonly Int8Layer? _q;

    public DenseOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        var x = Inputs.Length == 1 ? Inputs[0] : throw Fail("takes one value input");
        var kernel = Weight(0);
        bool pointwise = op.Opcode == Opcode.Conv2D && kernel.Dims.Count == 4 && kernel.Dims[0] == 1 && kernel.Dims[1] == 1;
        if (kernel.Dims.Count != 2 && !pointwise)
        {
            throw Fail($"kernel '{kernel.Name}' has shape {kernel.ShapeText}; Dense needs [in, units]");
        }

        _k = (int)kernel.Dims[^2];
        _n = (int)kernel.Dims[^1];
        if (x.SampleDim(x.SampleRank - 1) != _k || Output.SampleDim(Output.SampleRank - 1) != _n)
        {
            throw Fail($"input '{x.Info.Name}' {x.Info.ShapeText} and output {Output.Info.ShapeText} do not fit kernel {kernel.ShapeText}");
        }

        if ((long)x.SampleElements * _n != (long)Output.SampleElements * _k)
        {
            throw Fail($"input '{x.Info.Name}' {x.Info.ShapeText} has {x.SampleElements / _k} rows of {_k} per sample but output {Output.Info.ShapeText} has {Output.SampleElements / Math.Max(_n, 1)} rows of {_n}; they must be equal");
        }

        _act = ActivationAttr();
        _int8 = Output.Info.Type == ElementType.I8;
        if (_int8)
        {
            if (x.Info.Type != ElementType.I8 || kernel.Type != ElementType.I8 || WeightCount != 3 || Weight(1).Type != ElementType.I32 || Weight(1).ElementCount != _n
                || Weight(2).Type != ElementType.I32 || Weight(2).ElementCount != 2L * _n)
            {
                throw Fail("an int8 Dense needs an int8 input, an int8 kernel, an i32 bias [units] and an i32 requant table [2, units]");
            }

            _zx = x.ZeroPoint;
            _zy = Output.ZeroPoint;
            (_lo, _hi) = Int8Clamp();
            _q = new Int8Layer(Blob, WeightIndex(0), WeightIndex(1), WeightIndex(2), _k, _n, _zx, Simd, oneRow: true);
            return;
        }

        if (x.Info.Type != ElementType.F32)
        {
            throw Fail($"a float Dense needs an f32 input; '{x.Info.Name}' is {x.Info.Type}");
        }

        var bias = WeightCount > 1 ? FloatWeight(1) : new float[_n];
        if (bias.Length != _n)
        {
            throw Fail($"bias has {bias.Length} values for {_n} outputs");
        }

        _fl = new FloatLayer(FloatWeight(0), bias, _k, _n, Simd, WeightIndex(0), WeightCount > 1 ? WeightIndex(1) : -1);
    }

    /// <summary>True when the Conv2D <paramref name="op"/> is pointwise: a 1×1 kernel, stride 1, no padding (it runs as a Dense over the pixels).</summary>
    public static bool IsPointwise(OperatorDef op, BlobReader blob)
    {
        var weights = op.WeightInputs();
        if (op.Opcode != Opcode.Conv2D || weights.Length == 0)
        {
            return false;
        }

        var k = blob.Tensors[weights[0].Index];
        var schema = Formats.Contract.OperatorSchemas.Conv2D;
        int[] strides = schema.Ints(op, Formats.Contract.Attr.Strides);
        int[]? pads = schema.Pads(op.Attributes);
        return k.Dims.Count == 4 && k.Dims[0] == 1 && k.Dims[1] == 1 && strides[0] == 1 && strides[1] == 1 && (pads is null || Array.TrueForAll(pads, p => p == 0));
    }

    // Many rows (a pointwise convolution over an image, a large batch) run in row blocks: each thread takes whole
    // blocks and every output panel of them, so a block of the input stays in cache while the panels stream past,
    // and two threads share the work evenly however few panels there are (MobileNet's projections have one or
    // two). Few rows (an MLP at batch 1) split the panels between the threads instead.
    private const int BlockRowsMultiple = 24; // a multiple of every micro-kernel's row block (6 on AVX2, 8 otherwise)
    private const int BlockInputBytes = 24 * 1024;

    /// <summary>
    /// Rows per block: an input block of about <see cref="BlockInputBytes"/>, whole micro-kernel row blocks. int8 counts 2
    /// bytes a value (the int16 pairs) also where the VNNI quads take 1 (here and in <see cref="EvenRows"/>): sized by
    /// the quads' bytes, MobileNetV2 int8 224² ran 2% slower on two threads (in-process A/B), the same on one.
    /// </summary>
    private int BlockRows => Math.Clamp(BlockInputBytes / (Math.Max(_k, 1) * (_int8 ? 2 : 4)) / BlockRowsMultiple, 1, 16) * BlockRowsMultiple;

    /// <summary>
    /// Below row blocks, the rows split evenly between the threads (each its share of the pixels, every panel) where the
    /// layer's activations outweigh its weights (MobileNetV2's 14×14 expansions and projections on two threads): a thread
    /// then reads the rows the operator before wrote on its own core (the depthwise convolutions split by rows too), where
    /// splitting the panels made each read half of every row from the other core's cache. Where the weights weigh more
    /// (the 7×7 layers, a classifier) each thread streaming half of them stays the better split.
    /// </summary>
    private bool EvenRows(int rows, int chunks) =>
        chunks > 1 && rows >= 16 * chunks && (long)rows * (_k + _n) * (_int8 ? 1 : 4) >= (long)_k * _n * (_int8 ? 2 : 4);

    /// <summary>Row blocks when there are enough for two each on two threads; the panel split below that.</summary>
    private bool ByRows(int rows) => rows >= 4 * BlockRows;

    // int8 SIMD, per thread: int32 accumulators [block rows, n] (none where the kernel requantizes in its registers),
    // then the prepared input rows [block rows, RowLength(k)] (int16 pairs, or int8/uint8 quads).
    private long AccBytes(int rows) => Int8Gemm.RequantizesInKernel ? 0 : ((long)rows * _n * sizeof(int) + 63) / 64 * 64;

    private long ThreadScratch(int rows) => AccBytes(rows) + (((long)rows * Int8Gemm.RowLength(_k) * Int8Gemm.RowElementSize) + 63) / 64 * 64;

    internal override FloatLayer? Floats => _fl;

    /// <summary>Whether one row (batch 1) runs <see cref="Int8Gemm.Gemv"/> over the int8 weights as stored.</summary>
    internal bool OneRowKernel => _int8 && Simd && _q!.Gemv;

    /// <summary>One int8 row's partial sums [n padded to whole panels] int32 (<see cref="Int8Gemm.Gemv"/>), else 0.</summary>
    private long GemvBytes => _q!.Gemv ? (long)Int8Gemm.Panels(_n) * Int8Gemm.Lanes * sizeof(int) : 0;

    public override long ScratchBytes(int maxBatch)
    {
        int rows = Inputs[0].Elements(maxBatch) / _k;
        if (!_int8 || !Simd)
        {
            return 0;
        }

        // Row blocks: one block's worth per thread. Panel split (fewer rows, a smaller batch too): all rows at once. One row
        // (Gemv): the partial sums [n padded to whole panels] int32.
        return Math.Max(GemvBytes, ByRows(rows) ? Math.Max(ThreadScratch(BlockRows) * Pool.Threads, ThreadScratch((4 * BlockRows) - 1))
            : Math.Max(ThreadScratch(rows), EvenRows(rows, Pool.Threads) ? ThreadScratch(Math.Min(BlockRows, rows)) * Pool.Threads : 0));
    }

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        int rows = Inputs[0].Elements(batch) / _k;
        if (!Simd)
        {
            fixed (float* w = _fl?.Weights, b = _fl?.Bias)
            fixed (sbyte* qw = _q?.Weights)
            fixed (int* qb = _q?.Bias, rq = _q?.Requant)
            {
                if (_int8)
                {
                    Ref.Dense.Int8(Q(arena, Inputs[0]), rows, _k, _zx, qw, qb, rq, _n, _zy, _lo, _hi, Q(arena, Output));
                }
                else
                {
                    Ref.Dense.F32(F(arena, Inputs[0]), rows, _k, w, b, _n, _act == 1 ? 1 : 0, F(arena, Output));
                    Ref.Activations.Apply(_act, F(arena, Output), rows * _n);
                }
            }

            return;
        }

        bool parallel = pool.WorthSplitting((long)rows * _k * _n) && (ByRows(rows) || EvenRows(rows, pool.Threads) || (_int8 ? Int8Gemm.Panels(_n) : PackedGemm.Panels(_n)) > 1);
        if (_int8 && !ByRows(rows) && !(parallel && EvenRows(rows, pool.Threads)) && !OneRowGemv(rows))
        {
            Int8Gemm.PrepareRows(Q(arena, Inputs[0]), rows, _k, scratch + AccBytes(rows)); // shared by the panel split
        }

        pool.For(this, new Frame(arena, scratch, batch), parallel: parallel);

        if (!_int8 && ActivationAfterGemm(_act))
        {
            Kernels.Simd.Activations.Apply(_act, F(arena, Output), rows * _n);
        }
    }

    public void Run(in Frame frame, int chunk, int chunks)
    {
        int rows = Inputs[0].Elements(frame.Batch) / _k;
        if (!ByRows(rows) && EvenRows(rows, chunks))
        {
            // This thread's share of the rows, every panel, a block at a time through its own widened rows.
            long r0 = (long)rows * chunk / chunks, r1 = (long)rows * (chunk + 1) / chunks;
            byte* arena = frame.Arena, own = frame.Scratch + (chunk * ThreadScratch(Math.Min(BlockRows, rows)));
            Pixels(arena + Inputs[0].Offset + (r0 * _k * Inputs[0].ElementSize), arena + Output.Offset + (r0 * _n * Output.ElementSize), r1 - r0, own);
            return;
        }

        if (!ByRows(rows))
        {
            int panels = _int8 ? Int8Gemm.Panels(_n) : PackedGemm.Panels(_n);
            Rows(frame.Arena, 0, rows, panels * chunk / chunks, panels * (chunk + 1) / chunks, frame.Scratch, prepared: true);
            return;
        }

        // Whole blocks per thread, in order; each thread its own accumulator and widened rows.
        int block = BlockRows, blocks = (rows + block - 1) / block;
        int b0 = blocks * chunk / chunks, b1 = blocks * (chunk + 1) / chunks;
        byte* mine = frame.Scratch + (chunk * ThreadScratch(block));
        int all = _int8 ? Int8Gemm.Panels(_n) : PackedGemm.Panels(_n);
        for (int b = b0; b < b1; b++)
        {
            int r0 = b * block;
            Rows(frame.Arena, r0, Math.Min(rows, r0 + block), 0, all, mine, prepared: false);
        }
    }

    /// <summary>One int8 row reads the int8 weights directly (half the bytes of the packed int16 pairs, as many as the VNNI quads; the int8 x needs no preparing).</summary>
    private bool OneRowGemv(int rows) => rows == 1 && _int8 && _q!.Gemv;

    /// <summary>Output rows [r0, r1) of panels [p0, p1) of the operator's own input and output (<see cref="Rows(byte*, byte*, int, int, int, byte*, bool)"/>).</summary>
    private void Rows(byte* arena, int r0, int r1, int p0, int p1, byte* scratch, bool prepared) =>
        Rows(arena + Inputs[0].Offset + ((long)r0 * _k * Inputs[0].ElementSize), arena + Output.Offset + ((long)r0 * _n * Output.ElementSize), r1 - r0, p0, p1, scratch, prepared);

    public bool ProducesBands => Simd && !ActivationAfterGemm(_act) && Op.Opcode == Opcode.Conv2D;

    public long BandScratchBytes(int pixels) => !_int8 ? 0
        : Math.Max(ThreadScratch(Math.Min(pixels, BlockRows)), GemvBytes);

    /// <summary>A pointwise convolution's rows [oh0, oh1) of image n into dst ([oh1 − oh0, W, n]), from its input in the arena.</summary>
    public void ProduceRows(byte* arena, int n, int oh0, int oh1, byte* dst, byte* scratch)
    {
        long r0 = PixelRow(n, oh0);
        Pixels(arena + Inputs[0].Offset + (r0 * _k * Inputs[0].ElementSize), dst, PixelRow(n, oh1) - r0, scratch);
    }

    /// <summary>True where this pointwise convolution can take its input a band at a time from the depthwise convolution before it.</summary>
    public bool ConsumesBands => ProducesBands;

    /// <summary>A pointwise convolution's rows [oh0, oh1) of image n from src ([oh1 − oh0, W, k], a band of its input) into its output in the arena.</summary>
    public void ConsumeRows(byte* arena, int n, int oh0, int oh1, byte* src, byte* scratch)
    {
        long r0 = PixelRow(n, oh0);
        Pixels(src, arena + Output.Offset + (r0 * _n * Output.ElementSize), PixelRow(n, oh1) - r0, scratch);
    }

    /// <summary>The first pixel (row of the product) of output row <paramref name="oh"/> of image <paramref name="n"/>.</summary>
    private long PixelRow(int n, int oh) => (((long)n * Output.SampleDim(0)) + oh) * Output.SampleDim(1);

    /// <summary>Pixels x [rows, k] → y [rows, n], a block of <see cref="BlockRows"/> at a time, all panels; scratch: one thread's (<see cref="ThreadScratch"/> of a block).</summary>
    private void Pixels(byte* x, byte* y, long rows, byte* scratch)
    {
        int all = _int8 ? Int8Gemm.Panels(_n) : PackedGemm.Panels(_n), block = BlockRows;
        for (long r = 0; r < rows; r += block)
        {
            Rows(x + (r * _k * Inputs[0].ElementSize), y + (r * _n * Output.ElementSize), (int)Math.Min(block, rows - r), 0, all, scratch, prepared: false);
        }
    }

    /// <summary>
    /// Rows of panels [p0, p1): x [rows, k] → y [rows, n]. int8: the rows prepared (<see cref="Int8Gemm.PrepareRows"/>) into <paramref name="scratch"/>'s second
    /// part (unless <paramref name="prepared"/>), accumulated into its first, requantized.
    /// </summary>
    private void Rows(byte* xp, byte* yp, int rows, int p0, int p1, byte* scratch, bool prepared)
    {
        if (_int8)
        {
            if (OneRowGemv(rows))
            {
                fixed (sbyte* w = _q!.Weights)
                fixed (int* fb = _q.FoldedBias)
                {
                    // scratch: the partial sums [whole panels of n] int32, each thread its own panels of it.
                    Int8Gemm.Gemv((sbyte*)xp, _k, w, fb, (int*)scratch, _q.Table!, _zy, _lo, _hi, (sbyte*)yp, p0, p1);
                }

                return;
            }

            int* acc = (int*)scratch;
            byte* x = scratch + AccBytes(rows);
            if (!prepared)
            {
                Int8Gemm.PrepareRows((sbyte*)xp, rows, _k, x);
            }

            fixed (short* w = _q!.Packed)
            fixed (int* b0 = _q.RowBias)
            {
                Int8Gemm.RunRequantized(x, Int8Gemm.RowLength(_k), rows, _k, w, b0, acc, _q.Table!, _zy, _lo, _hi, (sbyte*)yp, p0, p1);
            }

            return;
        }

        fixed (float* w = _fl!.Packed, b = _fl.PaddedBias)
        {
            PackedGemm.Run((float*)xp, _k, rows, _k, w, b, _n, GemmActivation(_act), (float*)yp, _n, p0, p1);
        }
    }
}
