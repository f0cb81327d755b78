using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Threading;

namespace EdgeNet.Runtime.Ops;

/// <summary>What an op sees while it prepares: the blob, the values, the chosen variant.</summary>
internal sealed class PrepareContext
{
    internal PrepareContext(BlobReader blob, IReadOnlyList<ValueSlot> values, InterpreterOptions options, WorkerPool pool)
    {
        Blob = blob;
        Values = values;
        Options = options;
        Pool = pool;
    }

    public BlobReader Blob { get; }

    public IReadOnlyList<ValueSlot> Values { get; }

    public InterpreterOptions Options { get; }

    public bool Simd => Options.Variant == KernelVariant.Simd;

    internal WorkerPool Pool { get; }
}

/// <summary>
/// One operator as tflite-micro structures kernels: the constructor is Prepare (checks types and
/// shapes, converts and packs weights, computes quantization constants, sizes its scratch);
/// <see cref="Eval"/> only computes, on buffers planned before, and allocates nothing.
/// </summary>
internal abstract unsafe class OpKernel
{
    protected OpKernel(OperatorDef op, int index, PrepareContext ctx)
    {
        Op = op;
        Index = index;
        Blob = ctx.Blob;
        Inputs = Array.ConvertAll(op.ValueInputs(), r => ctx.Values[r.Index]);
        _weights = op.WeightInputs();
        Output = ctx.Values[op.Outputs[0]];
        Simd = ctx.Simd;
        Pool = ctx.Pool;
    }

    /// <summary>The operator's weight inputs, in order.</summary>
    private readonly TensorRef[] _weights;

    public OperatorDef Op { get; }

    public int Index { get; }

    protected BlobReader Blob { get; }

    protected ValueSlot[] Inputs { get; }

    protected ValueSlot Output { get; }

    protected bool Simd { get; }

    internal WorkerPool Pool { get; }

    /// <summary>Scratch bytes Eval needs at <paramref name="maxBatch"/> (planned into the arena).</summary>
    public virtual long ScratchBytes(int maxBatch) => 0;

    /// <summary>The float weights of a Dense or Conv2D, which <see cref="Interpreter.UpdateWeight"/> can replace; null for others.</summary>
    internal virtual FloatLayer? Floats => null;

    /// <summary>The operator that computes this one's output band by band as it needs it (depth-first); the interpreter then skips this one's Eval.</summary>
    internal OpKernel? ComputedBy { get; set; }

    /// <summary>True when the output may share the input's buffer (reshape).</summary>
    public virtual bool AliasesInput => false;

    /// <summary>
    /// Computes the operator on <paramref name="arena"/> at <paramref name="batch"/>; parallel work goes through
    /// <paramref name="pool"/> (the interpreter's, or <see cref="WorkerPool.Inline"/> when each thread runs its own
    /// sub-batch on its own arena: Eval then runs on several threads at once and keeps nothing in fields).
    /// </summary>
    public abstract void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool);

    /// <summary>False when Eval keeps per-call state in fields (it cannot run on two arenas at once).</summary>
    public virtual bool Reentrant => true;

    protected RuntimeModelException Fail(string problem) =>
        new($"{Blob.FileName}: operator {Index} ({Op.Opcode} -> '{Output.Info.Name}'): {problem}");

    /// <summary>The weight at input position <paramref name="k"/> (after the value inputs).</summary>
    protected int WeightIndex(int k)
    {
        return k < _weights.Length ? _weights[k].Index : throw Fail($"needs weight input {k} but has {_weights.Length}");
    }

    protected TensorInfo Weight(int k) => Blob.Tensors[WeightIndex(k)];

    protected int WeightCount => _weights.Length;

    protected static float* F(byte* arena, ValueSlot v) => (float*)(arena + v.Offset);

    protected static sbyte* Q(byte* arena, ValueSlot v) => (sbyte*)(arena + v.Offset);

    /// <summary>The operator's row of the contract (attributes were checked against it when the blob was read).</summary>
    protected OperatorSchema Schema => OperatorSchemas.Of(Op.Opcode);

    /// <summary>The fused "activation" attribute of Dense and Conv2D: 0 linear, 1 relu, 2 tanh, 3 sigmoid, 4 relu6.</summary>
    protected int ActivationAttr() => Schema.ChoiceIndex(Op, Attr.Activation);

    /// <summary>What the packed float GEMM applies to its accumulators as it stores them: relu or relu6, else nothing.</summary>
    protected static int GemmActivation(int act) => act is Kernels.Reference.Activations.Relu or Kernels.Reference.Activations.Relu6 ? act : Kernels.Reference.Activations.Linear;

    /// <summary>True when the activation is a pass over the output after the GEMM (tanh, sigmoid).</summary>
    protected static bool ActivationAfterGemm(int act) => GemmActivation(act) != act;

    /// <summary>The int8 clamp [lo, hi] of the fused activation on the output's scale and zero point; tanh and sigmoid have none.</summary>
    protected (int Lo, int Hi) Int8Clamp()
    {
        string act = Schema.Has(Attr.Activation) ? Schema.Value(Op, Attr.Activation).AsString() : "linear";
        return Int8Arithmetic.ActivationBounds(act, Output.Scale, Output.ZeroPoint)
            ?? throw Fail($"an int8 {Op.Opcode} cannot apply activation '{act}' (int8 takes linear, relu and relu6; tanh and sigmoid need float)");
    }

    /// <summary>A [height, width] window attribute of the schema (strides, pool_size), or its default.</summary>
    protected int[] AttrPair(AttributeSpec a) => Schema.Ints(Op, a);

    /// <summary>The window geometry over x [N, H, W, C] by the operator's explicit pads or Keras padding, checked by the contract's rules (a 'valid' window no larger than the input).</summary>
    protected Kernels.Reference.Window Geometry(ValueSlot x, int kh, int kw, int[] strides, string what)
    {
        if (Schema.WindowProblem(Op.Attributes, x.SampleDim(0), x.SampleDim(1), kh, kw, strides, what) is { } problem)
        {
            throw Fail($"input {x.Info.ShapeText}: {problem}");
        }

        var g = Schema.Window(Op.Attributes, x.SampleDim(0), x.SampleDim(1), kh, kw, strides, what);
        return new(g.InH, g.InW, x.SampleDim(2), g.KH, g.KW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.OutH, g.OutW);
    }

    /// <summary>A float copy of a weight (f16 widened, int8 dequantized): used by float kernels.</summary>
    protected float[] FloatWeight(int k)
    {
        var t = Weight(k);
        if (t.Type == ElementType.I32)
        {
            throw Fail($"weight '{t.Name}' is i32; a float layer needs f32, f16 or int8 weights");
        }

        return Blob.ReadAsFloat(WeightIndex(k));
    }
}
