namespace EdgeNet.Formats.Enb;

/// <summary>Operator codes of the graph section (docs/format.md).</summary>
public enum Opcode : ushort
{
    /// <summary>Fully connected layer: x·W + b, with an optional fused activation.</summary>
    Dense = 1,

    /// <summary>2-D convolution, NHWC, with an optional fused activation.</summary>
    Conv2D = 2,

    /// <summary>2-D max pooling, NHWC.</summary>
    MaxPool2D = 3,

    /// <summary>Flattens every axis after the batch.</summary>
    Flatten = 4,

    /// <summary>Reshapes the sample to the target shape.</summary>
    Reshape = 5,

    /// <summary>max(x, 0).</summary>
    Relu = 6,

    /// <summary>Hyperbolic tangent.</summary>
    Tanh = 7,

    /// <summary>Logistic sigmoid.</summary>
    Sigmoid = 8,

    /// <summary>Softmax over the last axis.</summary>
    Softmax = 9,

    /// <summary>LSTM over the sequence (Keras gate order i, f, c, o), the last step's output.</summary>
    Lstm = 10,

    /// <summary>Looks up rows of a weight matrix by token id.</summary>
    Embedding = 11,

    /// <summary>One-hot encoding of token ids.</summary>
    OneHot = 12,

    /// <summary>Depthwise 2-D convolution, NHWC, with an optional fused activation.</summary>
    DepthwiseConv2D = 13,

    /// <summary>Element-wise sum of two values of one shape (a residual connection), with an optional fused activation.</summary>
    Add = 14,

    /// <summary>2-D average pooling, NHWC (padding not counted).</summary>
    AvgPool2D = 15,

    /// <summary>The mean over height and width: [N, H, W, C] to [N, C].</summary>
    GlobalAvgPool2D = 16,

    /// <summary>min(max(x/6 + 1/2, 0), 1) (PyTorch's Hardsigmoid, Keras 3's hard_sigmoid).</summary>
    HardSigmoid = 17,

    /// <summary>x · hard_sigmoid(x) (MobileNetV3's activation).</summary>
    HardSwish = 18,

    /// <summary>x · sigmoid(x) (SiLU, swish: EfficientNet's activation).</summary>
    Silu = 19,

    /// <summary>Float to int8 with the output's scale and zero point.</summary>
    Quantize = 20,

    /// <summary>Int8 to float.</summary>
    Dequantize = 21,

    /// <summary>Element-wise product, the second operand of the first's shape or one value per sample and channel (squeeze-and-excitation).</summary>
    Mul = 22,

    /// <summary>The inputs side by side over the last axis (channels).</summary>
    Concat = 23,

    /// <summary>A contiguous range of the last axis (ShuffleNet's channel split).</summary>
    ChannelSlice = 24,

    /// <summary>The channels of g groups interleaved (ShuffleNet's channel shuffle).</summary>
    ChannelShuffle = 25,
}

/// <summary>An operator input: a weight from the tensor table, or an activation value.</summary>
public readonly record struct TensorRef(bool IsWeight, int Index)
{
    internal const uint WeightBit = 0x8000_0000u;

    /// <summary>A reference to weight tensor <paramref name="index"/>.</summary>
    public static TensorRef Weight(int index) => new(true, index);

    /// <summary>A reference to activation value <paramref name="index"/>.</summary>
    public static TensorRef Value(int index) => new(false, index);

    internal uint Encode() => IsWeight ? WeightBit | (uint)Index : (uint)Index;

    internal static TensorRef Decode(uint raw) =>
        (raw & WeightBit) != 0 ? new TensorRef(true, (int)(raw & ~WeightBit)) : new TensorRef(false, (int)raw);

    /// <summary><c>wN</c> for a weight, <c>vN</c> for a value.</summary>
    public override string ToString() => IsWeight ? $"w{Index}" : $"v{Index}";
}

/// <summary>An activation tensor flowing between operators. Dims[0] may be -1 (the batch).</summary>
public sealed record ValueInfo(string Name, ElementType Type, IReadOnlyList<int> Dims, QuantizationParams Quantization)
{
    /// <summary>A value without quantization.</summary>
    public ValueInfo(string name, ElementType type, params int[] dims)
        : this(name, type, dims, QuantizationParams.None) { }

    /// <summary>The shape as text, the batch as N, e.g. <c>[N, 28, 28, 1]</c>.</summary>
    public string ShapeText
    {
        get
        {
            var parts = new string[Dims.Count];
            for (int i = 0; i < parts.Length; i++)
            {
                parts[i] = Dims[i] < 0 ? "N" : Dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return "[" + string.Join(", ", parts) + "]";
        }
    }
}

/// <summary>One operator record.</summary>
public sealed record OperatorDef(
    Opcode Opcode,
    IReadOnlyList<TensorRef> Inputs,
    IReadOnlyList<int> Outputs,
    IReadOnlyList<KeyValuePair<string, EnbValue>> Attributes)
{
    /// <summary>The attribute <paramref name="key"/>, or null when absent (the schema's default applies).</summary>
    public EnbValue? Attribute(string key)
    {
        foreach (var kv in Attributes)
        {
            if (kv.Key == key)
            {
                return kv.Value;
            }
        }

        return null;
    }

    /// <summary>The inputs that are values (not weights), in order.</summary>
    public TensorRef[] ValueInputs() => InputsWhere(weights: false);

    /// <summary>The inputs that are weights, in order.</summary>
    public TensorRef[] WeightInputs() => InputsWhere(weights: true);

    private TensorRef[] InputsWhere(bool weights)
    {
        int n = 0;
        foreach (var r in Inputs)
        {
            n += r.IsWeight == weights ? 1 : 0;
        }

        var picked = new TensorRef[n];
        n = 0;
        foreach (var r in Inputs)
        {
            if (r.IsWeight == weights)
            {
                picked[n++] = r;
            }
        }

        return picked;
    }
}

/// <summary>The model graph: values, model inputs and outputs, operators in execution order.</summary>
public sealed record GraphDef(
    IReadOnlyList<ValueInfo> Values,
    IReadOnlyList<int> Inputs,
    IReadOnlyList<int> Outputs,
    IReadOnlyList<OperatorDef> Operators);
