using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Kernels.Reference;
using Ref = EdgeNet.Kernels.Reference;
using SimdAct = EdgeNet.Kernels.Simd.Activations;
using SimdConv = EdgeNet.Kernels.Simd.Conv2D;

namespace EdgeNet.Runtime.Ops;

/// <summary>Max pooling over NHWC windows, float or int8 (same scale in and out); SIMD split by image between threads.</summary>
internal sealed unsafe class MaxPool2DOp : OpKernel, EdgeNet.Runtime.Interpreter.IParallelWork
{
    private readonly Window _g;
    private readonly bool _int8;
    private byte* _arena;
    private int _batch;

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
        _g = Geometry(x, pool[0], pool[1], strides, SamePadding(), "pool window");
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

    public override void Eval(byte* arena, byte* scratch, int batch)
    {
        if (!Simd)
        {
            if (_int8)
            {
                Ref.Conv2D.MaxPool(Q(arena, Inputs[0]), batch, _g, Q(arena, Output));
            }
            else
            {
                Ref.Conv2D.MaxPool(F(arena, Inputs[0]), batch, _g, F(arena, Output));
            }

            return;
        }

        _arena = arena;
        _batch = batch;
        if (batch > 1 && Pool.Threads > 1)
        {
            Pool.For(this);
        }
        else
        {
            Run(0, 1);
        }
    }

    /// <summary>Images [batch·chunk/chunks, batch·(chunk+1)/chunks).</summary>
    public void Run(int chunk, int chunks)
    {
        int n0 = _batch * chunk / chunks, n1 = _batch * (chunk + 1) / chunks;
        long inImage = (long)_g.InH * _g.InW * _g.InC, outImage = (long)_g.OutH * _g.OutW * _g.InC;
        if (_int8)
        {
            SimdConv.MaxPool(Q(_arena, Inputs[0]) + (n0 * inImage), n1 - n0, _g, Q(_arena, Output) + (n0 * outImage));
        }
        else
        {
            SimdConv.MaxPool(F(_arena, Inputs[0]) + (n0 * inImage), n1 - n0, _g, F(_arena, Output) + (n0 * outImage));
        }
    }
}

/// <summary>Reshape / Flatten: the output aliases the input's buffer; nothing runs.</summary>
internal sealed unsafe class ReshapeOp : OpKernel
{
    public ReshapeOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        if (Inputs[0].SampleElements != Output.SampleElements || Inputs[0].Info.Type != Output.Info.Type)
        {
            throw Fail($"cannot reshape {Inputs[0].Info.ShapeText} into {Output.Info.ShapeText}");
        }
    }

    public override bool AliasesInput => true;

    public override void Eval(byte* arena, byte* scratch, int batch)
    {
    }
}

/// <summary>relu / tanh / sigmoid / softmax on float values.</summary>
internal sealed unsafe class ActivationOp : OpKernel
{
    private readonly int _act;

    public ActivationOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        _act = op.Opcode switch { Opcode.Relu => 1, Opcode.Tanh => 2, Opcode.Sigmoid => 3, _ => 4 };
        if (Inputs[0].Info.Type != ElementType.F32 || Output.Info.Type != ElementType.F32 || Inputs[0].SampleElements != Output.SampleElements)
        {
            throw Fail("activations run on f32 values of equal shape");
        }
    }

    public override void Eval(byte* arena, byte* scratch, int batch)
    {
        int n = Output.Elements(batch);
        float* x = F(arena, Inputs[0]), y = F(arena, Output);
        if (_act == 4)
        {
            int cols = Output.SampleDim(Output.SampleRank - 1);
            if (Simd)
            {
                SimdAct.Softmax(x, y, n / cols, cols);
            }
            else
            {
                Ref.Activations.Softmax(x, y, n / cols, cols);
            }

            return;
        }

        Buffer.MemoryCopy(x, y, (long)n * 4, (long)n * 4);
        if (Simd)
        {
            SimdAct.Apply(_act, y, n);
        }
        else
        {
            Ref.Activations.Apply(_act, y, n);
        }
    }
}

/// <summary>f32 → int8 with the output value's scale and zero point, and back.</summary>
internal sealed unsafe class QuantizeOp : OpKernel
{
    private readonly bool _quantize;

    public QuantizeOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        _quantize = op.Opcode == Opcode.Quantize;
        var (from, to) = _quantize ? (ElementType.F32, ElementType.I8) : (ElementType.I8, ElementType.F32);
        if (Inputs[0].Info.Type != from || Output.Info.Type != to || Inputs[0].SampleElements != Output.SampleElements)
        {
            throw Fail($"{op.Opcode} converts {from} to {to} of the same shape");
        }

        var q = _quantize ? Output : Inputs[0];
        if (q.Info.Quantization.Kind != QuantizationKind.PerTensor)
        {
            throw Fail($"value '{q.Info.Name}' needs per-tensor quantization parameters");
        }
    }

    public override long ScratchBytes(int maxBatch) => _quantize && Simd ? Output.Bytes(maxBatch) * 4 : 0;

    public override void Eval(byte* arena, byte* scratch, int batch)
    {
        int n = Output.Elements(batch);
        if (_quantize)
        {
            if (Simd)
            {
                SimdAct.Quantize(F(arena, Inputs[0]), Q(arena, Output), n, Output.Scale, Output.ZeroPoint, (float*)scratch);
            }
            else
            {
                Ref.Activations.Quantize(F(arena, Inputs[0]), Q(arena, Output), n, Output.Scale, Output.ZeroPoint);
            }
        }
        else if (Simd)
        {
            SimdAct.Dequantize(Q(arena, Inputs[0]), F(arena, Output), n, Inputs[0].Scale, Inputs[0].ZeroPoint);
        }
        else
        {
            Ref.Activations.Dequantize(Q(arena, Inputs[0]), F(arena, Output), n, Inputs[0].Scale, Inputs[0].ZeroPoint);
        }
    }
}

/// <summary>Class ids (as floats) → one-hot rows: [..] → [.., depth].</summary>
internal sealed unsafe class OneHotOp : OpKernel
{
    private readonly int _depth;

    public OneHotOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        _depth = Output.SampleDim(Output.SampleRank - 1);
        if (Inputs[0].SampleElements * _depth != Output.SampleElements)
        {
            throw Fail($"one-hot of {Inputs[0].Info.ShapeText} cannot be {Output.Info.ShapeText}");
        }
    }

    public override void Eval(byte* arena, byte* scratch, int batch)
    {
        int n = Inputs[0].Elements(batch);
        float* x = F(arena, Inputs[0]), y = F(arena, Output);
        new Span<float>(y, n * _depth).Clear();
        for (int i = 0; i < n; i++)
        {
            int c = (int)x[i];
            if (c >= 0 && c < _depth)
            {
                y[((long)i * _depth) + c] = 1f;
            }
        }
    }
}

/// <summary>Token ids → rows of the embedding table.</summary>
internal sealed unsafe class EmbeddingOp : OpKernel
{
    private readonly float[] _table;
    private readonly int _vocab;
    private readonly int _dim;

    public EmbeddingOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        var t = Weight(0);
        _vocab = (int)t.Dims[0];
        _dim = (int)t.Dims[1];
        _table = FloatWeight(0);
    }

    public override void Eval(byte* arena, byte* scratch, int batch)
    {
        int n = Inputs[0].Elements(batch);
        float* x = F(arena, Inputs[0]), y = F(arena, Output);
        for (int i = 0; i < n; i++)
        {
            int id = Math.Clamp((int)x[i], 0, _vocab - 1);
            _table.AsSpan(id * _dim, _dim).CopyTo(new Span<float>(y + ((long)i * _dim), _dim));
        }
    }
}
