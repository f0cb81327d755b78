using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Runtime.Training.Ops;

/// <summary>
/// One operator of a training session, forward and backward side by side on the arena's buffers.
/// The constructor is Prepare (checks, reads the f32 weights); Forward and Backward only compute.
/// Backward reads the gradient of <see cref="Y"/> and writes the gradient of <see cref="X"/> (when
/// <c>needDx</c>) and, for trainable layers, the weights' gradients.
/// </summary>
internal abstract class TrainOp
{
    protected TrainOp(OperatorDef op, int index, BlobReader blob, IReadOnlyList<ValueSlot> values)
    {
        Op = op;
        Index = index;
        Blob = blob;
        var xs = op.ValueInputs();
        _weights = op.WeightInputs();
        if (xs.Length != 1)
        {
            throw Fail("takes one value input; training runs chains of single-input operators");
        }

        X = values[xs[0].Index];
        Y = values[op.Outputs[0]];
        foreach (var v in new[] { X, Y })
        {
            if (v.Info.Type != ElementType.F32)
            {
                throw Fail($"value '{v.Info.Name}' is {v.Info.Type}; training on the board runs float graphs (fine-tune the f32 or f16 blob, then re-quantize)");
            }
        }
    }

    public OperatorDef Op { get; }

    public int Index { get; }

    protected BlobReader Blob { get; }

    /// <summary>The operator's weight inputs, in order.</summary>
    private readonly TensorRef[] _weights;

    public ValueSlot X { get; }

    public ValueSlot Y { get; }

    /// <summary>The weights of this operator (kernel, bias), empty for weightless ones.</summary>
    public List<TrainParam> Params { get; } = [];

    /// <summary>The layer name (the kernel's name before '/'), or the output's name.</summary>
    public virtual string Layer => Params.Count > 0 ? Params[0].Layer : Y.Info.Name;

    public bool HasWeights => Params.Count > 0;

    public bool Trainable => Params.Count > 0 && Params[0].Trainable;

    /// <summary>Backward reads the forward input x (the weight gradient, max pooling's routing).</summary>
    public virtual bool NeedsX => false;

    /// <summary>Backward reads the forward output y (an activation's derivative, max pooling's routing).</summary>
    public virtual bool NeedsY => false;

    /// <summary>The output is the input's buffer (reshape); its gradient too.</summary>
    public virtual bool Aliases => false;

    public virtual long ForwardScratchFloats(int maxBatch) => 0;

    public virtual long BackwardScratchFloats(int maxBatch) => 0;

    public abstract void Forward(TrainArena a, int batch, bool simd);

    public abstract void Backward(TrainArena a, int batch, bool simd, bool needDx);

    protected Exception Fail(string problem) =>
        new RuntimeModelException($"{Blob.FileName}: operator {Index} ({Op.Opcode} -> '{Blob.Graph!.Values[Op.Outputs[0]].Name}'): {problem}");

    protected OperatorSchema Schema => OperatorSchemas.Of(Op.Opcode);

    /// <summary>Adds the weight at weight position <paramref name="k"/> as a parameter (f32 or f16 stored; int8 refused).</summary>
    protected TrainParam AddParam(int k, string? layer = null)
    {
        if (k >= _weights.Length)
        {
            throw Fail($"needs weight input {k} but has {_weights.Length}");
        }

        int index = _weights[k].Index;
        var t = Blob.Tensors[index];
        if (t.Type is not (ElementType.F32 or ElementType.F16))
        {
            throw Fail($"weight '{t.Name}' is {t.Type}; training needs f32 or f16 weights (an int8 blob cannot learn: fine-tune its f32 export and re-quantize)");
        }

        var p = new TrainParam(t.Name, layer ?? LayerOf(t.Name), index, Shapes.Copy(t.Dims), Blob.ReadAsFloat(index));
        Params.Add(p);
        return p;
    }

    /// <summary>
    /// The optional bias (weight 1) of a Dense or Conv2D whose kernel is <paramref name="kernel"/> with
    /// <paramref name="units"/> outputs; a third weight is an int8 layer's requantization table and is refused.
    /// </summary>
    protected TrainParam? AddBias(TrainParam kernel, int units)
    {
        if (_weights.Length > 2)
        {
            throw Fail("has a requantization table: an int8 layer cannot learn; fine-tune the f32 or f16 blob and re-quantize");
        }

        if (_weights.Length < 2)
        {
            return null;
        }

        var bias = AddParam(1, kernel.Layer);
        return bias.Length == units ? bias : throw Fail($"bias '{bias.Name}' has {bias.Length} values; the kernel has {units} units");
    }

    /// <summary>The layer name a kernel tensor gives: 'dense_1/kernel' → 'dense_1'.</summary>
    protected static string LayerOf(string tensor) => tensor.Contains('/', StringComparison.Ordinal) ? tensor[..tensor.LastIndexOf('/')] : tensor;

    /// <summary>The window over x [N, H, W, C] by the contract's Keras rules (a 'valid' window no larger than the input).</summary>
    protected Kernels.Reference.Window Geometry(int kh, int kw, int[] strides, string what)
    {
        var attrs = Op.Attributes;
        if (Schema.WindowProblem(attrs, X.SampleDim(0), X.SampleDim(1), kh, kw, strides, what) is { } problem)
        {
            throw Fail($"input {X.Info.ShapeText}: {problem}");
        }

        var g = Schema.Window(attrs, X.SampleDim(0), X.SampleDim(1), kh, kw, strides, what);
        return new(g.InH, g.InW, X.SampleDim(2), g.KH, g.KW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.OutH, g.OutW);
    }

    /// <summary>The fused activation's backward in place: dz = act'(y) ⊙ dy, written over dy (dead after this op). y, dy: Y at <paramref name="batch"/>.</summary>
    protected Span<float> FusedActivationBackward(TrainArena a, int batch, bool simd, int act)
    {
        var dz = a.Grad(Y, batch);
        if (act != 0 && simd)
        {
            Kernels.Simd.Activations.Backward(act, a.Value(Y, batch), dz, dz);
        }
        else if (act != 0)
        {
            Kernels.Reference.Activations.Backward(act, a.Value(Y, batch), dz, dz);
        }

        return dz;
    }

    /// <summary>The fused activation (0 linear, 1 relu, 2 tanh, 3 sigmoid).</summary>
    protected int ActivationAttr() => Schema.ChoiceIndex(Op, Attr.Activation);
}
