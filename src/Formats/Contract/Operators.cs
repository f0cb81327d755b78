using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Contract;

/// <summary>The attributes operators share (one definition each, so a key is never a free string).</summary>
internal static class Attr
{
    public static readonly AttributeSpec Units = new("units", AttributeType.Int, "output features (the kernel's shape rules; informational)") { Min = 1, Optional = true };

    /// <summary>The fused activation of dense, conv2d, depthwise_conv2d and add; the runtime's code is the index (0 linear, 1 relu, 2 tanh, 3 sigmoid, 4 relu6).</summary>
    public static readonly AttributeSpec Activation = new("activation", AttributeType.Choice, "fused activation")
    {
        Choices = ["linear", "relu", "tanh", "sigmoid", "relu6"],
        Default = EnbValue.String("linear"),
    };

    public static readonly AttributeSpec Strides = new("strides", AttributeType.Pair, "window step") { Default = EnbValue.Ints(1, 1) };

    /// <summary>Keras padding: 'valid' (no padding) or 'same' (output = ceil(in / stride)); see <see cref="WindowGeometry"/>.</summary>
    public static readonly AttributeSpec Padding = new("padding", AttributeType.Choice, "Keras padding rule")
    {
        Choices = ["valid", "same"],
        Default = EnbValue.String("valid"),
    };

    /// <summary>Explicit padding [top, left, bottom, right] (a folded ZeroPadding2D, an ONNX <c>pads</c>); when present, <see cref="Padding"/> is not used.</summary>
    public static readonly AttributeSpec Pads = new("pads", AttributeType.Pads, "explicit padding; overrides padding") { Optional = true };

    public static readonly AttributeSpec PoolSize = new("pool_size", AttributeType.Pair, "pooling window") { Default = EnbValue.Ints(2, 2) };

    /// <summary>max_pool2d's strides: default to the pool size, as Keras does.</summary>
    public static readonly AttributeSpec PoolStrides = new("strides", AttributeType.Pair, "window step") { DefaultFrom = "pool_size" };

    public static readonly AttributeSpec Shape = new("shape", AttributeType.Ints, "the sample shape after the reshape (informational: the output value's dims rule)") { Default = EnbValue.Ints() };

    public static readonly AttributeSpec ReturnSequences = new("return_sequences", AttributeType.Bool, "output every step (only false is run)") { Default = EnbValue.Bool(false) };

    public static readonly AttributeSpec Begin = new("begin", AttributeType.Int, "first channel taken") { Min = 0 };

    public static readonly AttributeSpec Size = new("size", AttributeType.Int, "channels taken") { Min = 1 };

    public static readonly AttributeSpec Groups = new("groups", AttributeType.Int, "channel groups") { Min = 1 };

    public static readonly AttributeSpec Depth = new("depth", AttributeType.Int, "number of classes (the output value's last dim rules; informational)") { Min = 1, Optional = true };
}

/// <summary>
/// The operator table of the blob contract (docs/format.md, "Operators"): the exporter names its
/// trace kinds by it, the reader validates every operator against it, and the trainer's reference
/// interpreter and the runtime's kernel factory read attributes through it. Adding an operator is
/// one row here plus its kernels and its export trace.
/// </summary>
internal static class OperatorSchemas
{
    private static readonly OperatorInput X = new("x", InputRole.Value, false, "input");

    /// <summary>An int8 element-wise activation's output code for each input code (<see cref="Int8Arithmetic.LookupTable"/>).</summary>
    private static readonly OperatorInput Table = new("table", InputRole.Weight, true, "int8: [256] i8, the output for input −128 … 127");

    public static readonly OperatorSchema Dense = new(Opcode.Dense, "dense", "y = act(x · kernel + bias) over the last axis",
        [X, new("kernel", InputRole.Weight, false, "[in, units]"), new("bias", InputRole.Weight, true, "[units] (i32 in int8)"), new("requant", InputRole.Weight, true, "int8: [2, units] multipliers, shifts")],
        [Attr.Units, Attr.Activation]);

    public static readonly OperatorSchema Conv2D = new(Opcode.Conv2D, "conv2d", "2-D convolution over NHWC",
        [X, new("kernel", InputRole.Weight, false, "[kh, kw, in, filters]"), new("bias", InputRole.Weight, true, "[filters] (i32 in int8)"), new("requant", InputRole.Weight, true, "int8: [2, filters]")],
        [Attr.Strides, Attr.Padding, Attr.Pads, Attr.Activation]);

    public static readonly OperatorSchema MaxPool2D = new(Opcode.MaxPool2D, "max_pool2d", "max over each window, NHWC", [X], [Attr.PoolSize, Attr.PoolStrides, Attr.Padding, Attr.Pads]);

    public static readonly OperatorSchema Flatten = new(Opcode.Flatten, "flatten", "[N, ...] to [N, features] (no data movement)", [X], []);

    public static readonly OperatorSchema Reshape = new(Opcode.Reshape, "reshape", "same data, the output value's dims", [X], [Attr.Shape]);

    public static readonly OperatorSchema Relu = new(Opcode.Relu, "relu", "max(x, 0)", [X, Table], []);

    public static readonly OperatorSchema Tanh = new(Opcode.Tanh, "tanh", "tanh(x)", [X, Table], []);

    public static readonly OperatorSchema Sigmoid = new(Opcode.Sigmoid, "sigmoid", "1 / (1 + e^−x)", [X, Table], []);

    public static readonly OperatorSchema HardSigmoid = new(Opcode.HardSigmoid, "hard_sigmoid", "min(max(x / 6 + 1/2, 0), 1)", [X, Table], []);

    public static readonly OperatorSchema HardSwish = new(Opcode.HardSwish, "hard_swish", "x · min(max(x / 6 + 1/2, 0), 1)", [X, Table], []);

    public static readonly OperatorSchema Silu = new(Opcode.Silu, "silu", "x / (1 + e^−x)", [X, Table], []);

    public static readonly OperatorSchema Softmax = new(Opcode.Softmax, "softmax", "softmax over the last axis", [X], []);

    public static readonly OperatorSchema Lstm = new(Opcode.Lstm, "lstm", "Keras LSTM over [N, T, F] from the zero state, gates i, f, c, o; outputs the last h",
        [X, new("kernel", InputRole.Weight, false, "[F, 4·units]"), new("recurrent_kernel", InputRole.Weight, false, "[units, 4·units]"), new("bias", InputRole.Weight, false, "[4·units]")],
        [Attr.Units, Attr.ReturnSequences]);

    public static readonly OperatorSchema Embedding = new(Opcode.Embedding, "embedding", "rows of the table by index", [new("indices", InputRole.Value, false, "f32 holding integers"), new("table", InputRole.Weight, false, "[vocabulary, dim]")], []);

    public static readonly OperatorSchema OneHot = new(Opcode.OneHot, "one_hot", "indices to one-hot rows", [new("indices", InputRole.Value, false, "f32 holding integers")], [Attr.Depth]);

    public static readonly OperatorSchema DepthwiseConv2D = new(Opcode.DepthwiseConv2D, "depthwise_conv2d", "per-channel 2-D convolution over NHWC: output channel c·M + j reads input channel c",
        [X, new("kernel", InputRole.Weight, false, "[kh, kw, 1, in·M]"), new("bias", InputRole.Weight, true, "[in·M] (i32 in int8)"), new("requant", InputRole.Weight, true, "int8: [2, in·M]")],
        [Attr.Strides, Attr.Padding, Attr.Pads, Attr.Activation]);

    public static readonly OperatorSchema Add = new(Opcode.Add, "add", "y = act(a + b), a and b of one shape",
        [new("a", InputRole.Value, false, "input"), new("b", InputRole.Value, false, "input of a's shape"), new("requant", InputRole.Weight, true, "int8: [2, 3] multipliers of a, b, the sum; then shifts")],
        [Attr.Activation]);

    public static readonly OperatorSchema AvgPool2D = new(Opcode.AvgPool2D, "avg_pool2d", "mean over each window's taps inside the image, NHWC",
        [X, new("requant", InputRole.Weight, true, "int8: [2, kh·kw] for a window of k taps at k − 1")], [Attr.PoolSize, Attr.PoolStrides, Attr.Padding, Attr.Pads]);

    public static readonly OperatorSchema GlobalAvgPool2D = new(Opcode.GlobalAvgPool2D, "global_avg_pool2d", "mean over height and width, [N, H, W, C] to [N, C]",
        [X, new("requant", InputRole.Weight, true, "int8: [2, 1]")], []);

    public static readonly OperatorSchema Mul = new(Opcode.Mul, "mul", "y = a · b; b of a's shape, or [N, 1, …, 1, C] scaling a's last axis per sample",
        [new("a", InputRole.Value, false, "input"), new("b", InputRole.Value, false, "a's shape, or [N, 1, …, 1, C]"), new("requant", InputRole.Weight, true, "int8: [2, 1] multiplier and shift of s_a·s_b / s_y")], []);

    public static readonly OperatorSchema Concat = new(Opcode.Concat, "concat", "the inputs side by side over the last axis (channels); int8: all with the output's scale and zero point",
        [new("x", InputRole.Value, false, "input; the others of its shape but for the last axis") { Repeated = true }], []);

    public static readonly OperatorSchema ChannelSlice = new(Opcode.ChannelSlice, "channel_slice", "y = x[…, begin : begin + size] over the last axis; int8: x's scale and zero point", [X], [Attr.Begin, Attr.Size]);

    public static readonly OperatorSchema ChannelShuffle = new(Opcode.ChannelShuffle, "channel_shuffle", "y[…, k·g + i] = x[…, i·C/g + k]: g groups of C/g channels interleaved; int8: x's scale and zero point", [X], [Attr.Groups]);

    public static readonly OperatorSchema Quantize = new(Opcode.Quantize, "quantize", "f32 to i8 with the output value's scale and zero point; i8 to i8 (a requantization) by its requant",
        [X, new("requant", InputRole.Weight, true, "i8 → i8: [2, 1] multiplier and shift of s_x / s_y")], []);

    public static readonly OperatorSchema Dequantize = new(Opcode.Dequantize, "dequantize", "i8 to f32 with the input value's scale and zero point", [X], []);

    /// <summary>Every operator, in opcode order.</summary>
    public static IReadOnlyList<OperatorSchema> All { get; } =
        [Dense, Conv2D, MaxPool2D, Flatten, Reshape, Relu, Tanh, Sigmoid, Softmax, Lstm, Embedding, OneHot, DepthwiseConv2D, Add, AvgPool2D, GlobalAvgPool2D, HardSigmoid, HardSwish, Silu, Quantize, Dequantize, Mul, Concat, ChannelSlice, ChannelShuffle];

    private static readonly Dictionary<Opcode, OperatorSchema> ByOpcode = new(All.Count);

    private static readonly Dictionary<string, OperatorSchema> ByName = new(All.Count, StringComparer.Ordinal);

    static OperatorSchemas()
    {
        foreach (var s in All)
        {
            ByOpcode.Add(s.Opcode, s);
            ByName.Add(s.Name, s);
        }
    }

    public static bool IsKnown(ushort opcode) => ByOpcode.ContainsKey((Opcode)opcode);

    public static OperatorSchema Of(Opcode opcode) =>
        ByOpcode.TryGetValue(opcode, out var s) ? s : throw new ArgumentException($"unknown opcode {(ushort)opcode}", nameof(opcode));

    /// <summary>The operator named <paramref name="name"/> (a trace kind), or null when the contract has none.</summary>
    public static OperatorSchema? Named(string name) => ByName.GetValueOrDefault(name);
}
