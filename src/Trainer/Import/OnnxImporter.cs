using System.Globalization;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;

namespace EdgeNet.Trainer.Import;

/// <summary>An ONNX file the importer cannot take: the message names the file, what is wrong and what to do.</summary>
public sealed class OnnxImportException(string message) : Exception(message);

/// <summary>What the caller may say about the file.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>The input's shape without the batch axis, in ONNX's order ([C, H, W] for an image), for files whose input has symbolic dimensions besides the batch.</summary>
    public int[]? InputShape { get; init; }
}

/// <summary>One line of the import table: ONNX node(s) and what they became.</summary>
/// <param name="Nodes">The ONNX node names (or operator and output).</param>
/// <param name="OpTypes">Their operators, e.g. "MatMul + Add".</param>
/// <param name="Layer">The Keras layer made ("" when folded away).</param>
/// <param name="Note">What was folded or reordered.</param>
public sealed record OnnxImportRow(string Nodes, string OpTypes, string Layer, string Note);

/// <summary>The imported model and how it was made.</summary>
/// <param name="Model">A Keras functional model taking NHWC images (or vectors), weights from the file.</param>
/// <param name="Rows">Node by node, what became of it.</param>
/// <param name="FileParameters">Float values in the file's initializers, counting each Identity copy of one again (PyTorch's exporter stores equal weights once and copies them).</param>
/// <param name="Opset">The file's ai.onnx opset.</param>
/// <param name="Producer">The tool that wrote it.</param>
/// <param name="InputShape">The model's input sample shape in EdgeNet's (NHWC) order.</param>
public sealed record OnnxImport(Model Model, IReadOnlyList<OnnxImportRow> Rows, long FileParameters, long Opset, string Producer, int[] InputShape);

/// <summary>
/// Reads an ONNX model into a Keras functional model, so an imported network fine-tunes, calibrates and exports on
/// the same path as one trained here. ONNX's NCHW becomes EdgeNet's NHWC at import: convolution weights are
/// transposed once ([M, C/g, kh, kw] → [kh, kw, C, M]); a Flatten of a feature map keeps ONNX's C, H, W order by
/// permuting the next Dense layer's rows (the classic converter bug: a flatten read in the wrong order). Every
/// operator the file uses is checked before anything is built, and all the unsupported ones are listed at once.
/// </summary>
public static partial class OnnxImporter
{
    /// <summary>The ai.onnx opsets the importer reads.</summary>
    public const int MinOpset = 11;

    /// <summary>The newest opset the importer knows.</summary>
    public const int MaxOpset = 21;

    /// <summary>Imports <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not an ONNX file, or truncated.</exception>
    /// <exception cref="OnnxImportException">The file uses what the importer cannot map (every such operator listed), or its shapes are not static.</exception>
    public static OnnxImport Import(string path, OnnxImportOptions? options = null)
    {
        var model = OnnxReader.Read(path);
        string file = Path.GetFileName(path);
        long opset = model.Opset;
        if (opset < MinOpset || opset > MaxOpset)
        {
            throw new OnnxImportException($"{file}: opset {opset} of ai.onnx; the importer reads opsets {MinOpset} to {MaxOpset} (re-export it, e.g. torch.onnx.export(..., opset_version=17))");
        }

        var g = model.Graph;
        foreach (var t in g.Initializers.Values)
        {
            if (t.ExternalLocation is not null)
            {
                string where = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, t.ExternalLocation);
                throw new OnnxImportException($"{file}: initializer '{t.Name}' keeps its data in an external file ({where}); the importer reads weights stored in the model (onnx.save_model(m, f, save_as_external_data=False))");
            }
        }

        CheckOperators(file, g, opset);
        var builder = new Builder(file, g, options ?? new OnnxImportOptions());
        var (m, rows, shape) = builder.Build(Path.GetFileNameWithoutExtension(path));
        static bool Weight(OnnxTensor t) => t.DataType is OnnxDataType.Float or OnnxDataType.Float16 or OnnxDataType.Double && t.Dims.Length > 0;
        long fileParams = g.Initializers.Values.Where(Weight).Sum(t => t.ElementCount)
            + g.Nodes.Where(n => n.OpType == "Identity" && n.Inputs.Count == 1 && g.Initializers.TryGetValue(n.Inputs[0], out var t) && Weight(t)).Sum(n => g.Initializers[n.Inputs[0]].ElementCount);
        return new OnnxImport(m, rows, fileParams, opset, model.Producer.Trim(), shape);
    }

    /// <summary>The operators the importer maps, with what it takes of each: <c>edgenet-train import --list-ops</c>.</summary>
    public static IReadOnlyList<(string Op, string Since, string Maps)> SupportedOperators { get; } =
    [
        ("Conv", "11", "Conv2D (group 1) or DepthwiseConv2D (group = channels, any multiplier); pads: 'same', 'valid' or a ZeroPadding2D folded back at export; dilations 1; 1×1 on a pooled [N, C, 1, 1] value: Dense"),
        ("BatchNormalization", "11", "BatchNormalization (inference statistics; folded into the convolution at export)"),
        ("Relu", "11", "ReLU"),
        ("Clip", "11", "ReLU(max) for min 0 (Clip(0, 6): ReLU6, fused at export)"),
        ("Sigmoid, Tanh", "11", "Activation (Mul(x, Sigmoid(x)): SiLU)"),
        ("HardSigmoid", "11", "Activation('hard_sigmoid') for alpha 1/6, beta 0.5 (PyTorch's, Keras 3's); Mul(x, HardSigmoid(x)): the hard swish"),
        ("HardSwish", "14", "Activation('hard_swish')"),
        ("Mul", "11", "Multiply of two activations of one shape, or of a feature map and a [N, C, 1, 1] gate (squeeze-and-excitation)"),
        ("Add, Sub, Mul, Div", "11", "with a constant of one value or one per channel ([C, 1, 1]) on a feature map: a 1×1 DepthwiseConv2D (scale, bias); a normalization inside the graph"),
        ("Add", "11", "Add of two equal-shaped activations; after MatMul, the Dense layer's bias"),
        ("MatMul", "11", "Dense (with the following Add of a constant as its bias)"),
        ("Gemm", "11", "Dense (transB 0 or 1, alpha and beta applied to the weights)"),
        ("MaxPool", "11", "MaxPooling2D ('same'/'valid'; other pads, and ceil_mode 1, after a ReLU as a ZeroPadding2D)"),
        ("AveragePool", "11", "AveragePooling2D ('valid', 'same' without the padding counted, or pads counted as zeros)"),
        ("GlobalAveragePool", "11", "GlobalAveragePooling2D"),
        ("ReduceMean", "11", "GlobalAveragePooling2D over axes [2, 3] (keepdims 0 or 1; axes as an input from opset 18)"),
        ("Shape, Gather, Unsqueeze, Squeeze, Concat, Cast, Slice, Add, Sub, Mul, Div", "11", "folded when their inputs are constants or shapes (x.view(x.size(0), -1)); a symbolic batch stays the batch"),
        ("Concat", "11", "Concatenate of feature maps over the channels (axis 1; SqueezeNet's fire modules, ShuffleNet's units) or of vectors over the features"),
        ("Split, Slice", "11", "ChannelSlice per piece: a split or a step-1 slice of a feature map's channels (axis 1; ShuffleNet's chunk)"),
        ("Reshape + Transpose + Reshape", "11", "ChannelShuffle: view(N, g, C/g, H, W), transpose(1, 2), view(N, C, H, W) (ShuffleNet's channel shuffle)"),
        ("Flatten", "11", "Flatten (a feature map's C, H, W order kept by reordering the next Dense)"),
        ("Reshape", "11", "Flatten, for a constant shape [N, -1] or [N, features]"),
        ("Softmax", "11", "Softmax over the last axis"),
        ("LSTM", "11", "LSTM (forward, default activations, zero initial state; gates reordered from ONNX's i, o, f, c to Keras' i, f, c, o; its last hidden state Y_h, read through Gather/Squeeze/Reshape)"),
        ("ConstantOfShape", "11", "folded (an LSTM's zero initial state over the batch)"),
        ("Transpose", "11", "dropped: NHWC ↔ NCHW at a converted model's edges (tf2onnx, EdgeNet's own export), perm [0, 3, 1, 2] or [0, 2, 3, 1]; [0, 2, 1, 3, 4] inside a channel shuffle"),
        ("Identity, Dropout", "11", "removed"),
        ("Constant", "11", "a constant"),
    ];

    private static readonly HashSet<string> Known =
    [
        "Conv", "BatchNormalization", "Relu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Add", "MatMul", "Gemm", "MaxPool", "AveragePool",
        "GlobalAveragePool", "ReduceMean", "Flatten", "Reshape", "Softmax", "Identity", "Dropout", "Constant",
        "Transpose", "LSTM", "ConstantOfShape", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Sub", "Mul", "Div", "Split",
    ];

    // Every unsupported operator at once, with its count and the first node's name: a user fixes them in one go.
    private static void CheckOperators(string file, OnnxGraph g, long opset)
    {
        var missing = g.Nodes
            .Where(n => (n.Domain is not ("" or "ai.onnx")) || !Known.Contains(n.OpType))
            .GroupBy(n => n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}")
            .Select(grp => $"{grp.Key} ×{grp.Count()} (first: {grp.First().Label})")
            .Concat(UnfoldableNodes(g).GroupBy(b => b.What).Select(grp => $"{grp.Key} ×{grp.Count()} (first: {grp.First().Node.Label}{(grp.First().What.EndsWith("activations", StringComparison.Ordinal) ? "; folded only on constants" : "")})"))
            .ToList();
        if (missing.Count > 0)
        {
            throw new OnnxImportException($"{file}: {missing.Count} operator(s) the importer does not map (opset {opset}): {string.Join("; ", missing)}. 'edgenet-train import --list-ops' lists what it maps.");
        }
    }

    internal static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
