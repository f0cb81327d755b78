namespace EdgeNet.Formats.Enb;

/// <summary>Operator codes of the graph section (docs/format.md).</summary>
public enum Opcode : ushort
{
    Dense = 1,
    Conv2D = 2,
    MaxPool2D = 3,
    Flatten = 4,
    Reshape = 5,
    Relu = 6,
    Tanh = 7,
    Sigmoid = 8,
    Softmax = 9,
    Lstm = 10,
    Embedding = 11,
    OneHot = 12,
    Quantize = 20,
    Dequantize = 21,
}

/// <summary>An operator input: a weight from the tensor table, or an activation value.</summary>
public readonly record struct TensorRef(bool IsWeight, int Index)
{
    internal const uint WeightBit = 0x8000_0000u;

    public static TensorRef Weight(int index) => new(true, index);

    public static TensorRef Value(int index) => new(false, index);

    internal uint Encode() => IsWeight ? WeightBit | (uint)Index : (uint)Index;

    internal static TensorRef Decode(uint raw) =>
        (raw & WeightBit) != 0 ? new TensorRef(true, (int)(raw & ~WeightBit)) : new TensorRef(false, (int)raw);

    public override string ToString() => IsWeight ? $"w{Index}" : $"v{Index}";
}

/// <summary>An activation tensor flowing between operators. Dims[0] may be -1 (the batch).</summary>
public sealed record ValueInfo(string Name, ElementType Type, IReadOnlyList<int> Dims, QuantizationParams Quantization)
{
    public ValueInfo(string name, ElementType type, params int[] dims)
        : this(name, type, dims, QuantizationParams.None) { }

    public string ShapeText => "[" + string.Join(", ", Dims.Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}

/// <summary>One operator record.</summary>
public sealed record OperatorDef(
    Opcode Opcode,
    IReadOnlyList<TensorRef> Inputs,
    IReadOnlyList<int> Outputs,
    IReadOnlyList<KeyValuePair<string, EnbValue>> Attributes)
{
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
}

/// <summary>The model graph: values, model inputs and outputs, operators in execution order.</summary>
public sealed record GraphDef(
    IReadOnlyList<ValueInfo> Values,
    IReadOnlyList<int> Inputs,
    IReadOnlyList<int> Outputs,
    IReadOnlyList<OperatorDef> Operators);
