namespace EdgeNet.Trainer.Import;

/// <summary>ONNX's TensorProto.DataType values the importer reads.</summary>
public enum OnnxDataType
{
    /// <summary>Not set.</summary>
    Undefined = 0,

    /// <summary>float32.</summary>
    Float = 1,

    /// <summary>uint8.</summary>
    UInt8 = 2,

    /// <summary>int8.</summary>
    Int8 = 3,

    /// <summary>int32.</summary>
    Int32 = 6,

    /// <summary>int64.</summary>
    Int64 = 7,

    /// <summary>bool.</summary>
    Bool = 9,

    /// <summary>float16.</summary>
    Float16 = 10,

    /// <summary>float64.</summary>
    Double = 11,
}

/// <summary>ONNX's AttributeProto.AttributeType values.</summary>
public enum OnnxAttributeType
{
    /// <summary>Not set.</summary>
    Undefined = 0,

    /// <summary>One float.</summary>
    Float = 1,

    /// <summary>One integer.</summary>
    Int = 2,

    /// <summary>One string.</summary>
    String = 3,

    /// <summary>One tensor.</summary>
    Tensor = 4,

    /// <summary>A subgraph (If, Loop).</summary>
    Graph = 5,

    /// <summary>Floats.</summary>
    Floats = 6,

    /// <summary>Integers.</summary>
    Ints = 7,

    /// <summary>Strings.</summary>
    Strings = 8,
}

/// <summary>A constant tensor of an ONNX file (an initializer, a Constant node's value, a tensor attribute), as float or int64 values.</summary>
public sealed class OnnxTensor
{
    /// <summary>The tensor's name (empty for an attribute's tensor).</summary>
    public string Name { get; internal set; } = "";

    /// <summary>Its dimensions (empty: a scalar).</summary>
    public long[] Dims { get; internal set; } = [];

    /// <summary>Its element type.</summary>
    public OnnxDataType DataType { get; internal set; }

    /// <summary>Float values (float, float16 and double tensors).</summary>
    public float[]? Floats { get; internal set; }

    /// <summary>Integer values (int64, int32, int8, uint8 and bool tensors).</summary>
    public long[]? Ints { get; internal set; }

    /// <summary>True when the data lives in a file beside the model (external data).</summary>
    public string? ExternalLocation { get; internal set; }

    /// <summary>Elements: the product of the dimensions.</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>The values as floats (integers converted).</summary>
    public float[] AsFloats() => Floats ?? Array.ConvertAll(Ints ?? [], v => (float)v);

    /// <summary>The values as integers (floats truncated).</summary>
    public long[] AsInts() => Ints ?? Array.ConvertAll(Floats ?? [], v => (long)v);

    /// <summary>The shape as text, e.g. [32, 3, 3, 3].</summary>
    public string ShapeText => "[" + string.Join(", ", Dims) + "]";
}

/// <summary>One attribute of a node.</summary>
public sealed class OnnxAttr
{
    /// <summary>The attribute's name.</summary>
    public string Name { get; internal set; } = "";

    /// <summary>Which of the values below it holds.</summary>
    public OnnxAttributeType Type { get; internal set; }

    /// <summary>A float attribute.</summary>
    public float F { get; internal set; }

    /// <summary>An integer attribute.</summary>
    public long I { get; internal set; }

    /// <summary>A string attribute.</summary>
    public string S { get; internal set; } = "";

    /// <summary>A tensor attribute (Constant's value).</summary>
    public OnnxTensor? T { get; internal set; }

    /// <summary>A floats attribute.</summary>
    public List<float> Floats { get; } = [];

    /// <summary>An ints attribute.</summary>
    public List<long> Ints { get; } = [];

    /// <summary>A strings attribute (an LSTM's activations).</summary>
    public List<string> Strings { get; } = [];
}

/// <summary>One node of the graph: an operator with its inputs, outputs and attributes.</summary>
public sealed class OnnxNode
{
    /// <summary>The node's name (may be empty in hand-made files).</summary>
    public string Name { get; internal set; } = "";

    /// <summary>The operator, e.g. Conv.</summary>
    public string OpType { get; internal set; } = "";

    /// <summary>The operator's domain ("" and "ai.onnx" are the standard set).</summary>
    public string Domain { get; internal set; } = "";

    /// <summary>Input value names ("" for an omitted optional input).</summary>
    public List<string> Inputs { get; } = [];

    /// <summary>Output value names.</summary>
    public List<string> Outputs { get; } = [];

    /// <summary>Attributes by name.</summary>
    public Dictionary<string, OnnxAttr> Attributes { get; } = [];

    /// <summary>The node as an error message names it: its name, else its operator and first output.</summary>
    public string Label => Name.Length > 0 ? $"'{Name}' ({OpType})" : $"{OpType} -> '{(Outputs.Count > 0 ? Outputs[0] : "?")}'";
}

/// <summary>A graph input or output: its name, element type and shape (a dimension may be symbolic).</summary>
public sealed class OnnxValueInfo
{
    /// <summary>The value's name.</summary>
    public string Name { get; internal set; } = "";

    /// <summary>Element type.</summary>
    public OnnxDataType ElementType { get; internal set; }

    /// <summary>Dimensions: a number, or a symbolic name (null value) such as "batch_size".</summary>
    public List<(long? Value, string? Param)> Dims { get; } = [];

    /// <summary>False when the type carries no shape at all.</summary>
    public bool HasShape { get; internal set; }

    /// <summary>The shape as text, e.g. [batch_size, 3, 224, 224].</summary>
    public string ShapeText => "[" + string.Join(", ", Dims.Select(d => d.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? d.Param ?? "?")) + "]";
}

/// <summary>An ONNX graph: nodes in topological order, constants, inputs and outputs.</summary>
public sealed class OnnxGraph
{
    /// <summary>The graph's name.</summary>
    public string Name { get; internal set; } = "";

    /// <summary>The nodes in the file's (topological) order.</summary>
    public List<OnnxNode> Nodes { get; } = [];

    /// <summary>Initializers by name.</summary>
    public Dictionary<string, OnnxTensor> Initializers { get; } = [];

    /// <summary>Declared inputs (initializers may be listed here too in older files).</summary>
    public List<OnnxValueInfo> Inputs { get; } = [];

    /// <summary>Declared outputs.</summary>
    public List<OnnxValueInfo> Outputs { get; } = [];
}

/// <summary>An ONNX ModelProto: versions, producer and the main graph.</summary>
public sealed class OnnxModel
{
    /// <summary>The IR version.</summary>
    public long IrVersion { get; internal set; }

    /// <summary>The tool that wrote it, e.g. "pytorch 1.13.0".</summary>
    public string Producer { get; internal set; } = "";

    /// <summary>Opset versions by domain ("" is the standard operator set).</summary>
    public Dictionary<string, long> Opsets { get; } = [];

    /// <summary>The main graph.</summary>
    public OnnxGraph Graph { get; internal set; } = new();

    /// <summary>The standard operator set's version (ai.onnx).</summary>
    public long Opset => Opsets.TryGetValue("", out long v) ? v : Opsets.TryGetValue("ai.onnx", out long w) ? w : 0;
}
