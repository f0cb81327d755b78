using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Export;

/// <summary>
/// The export's graph cleanup as the trace is read (tract's declutter, pnnx's fusion passes): a
/// BatchNormalization in inference form is folded into the convolution, depthwise convolution or dense
/// layer that produces its input (W'[…, f] = W[…, f]·γ_f/√(σ²_f + ε), b'_f = (b_f − μ_f)·γ_f/√(σ²_f + ε) + β_f,
/// as TFLite's converter and pnnx do); a ZeroPadding2D becomes the padding of the convolution that reads it
/// (Keras 'same' when the windows are the same, else explicit pads); ReLU6 becomes the fused activation of
/// the operator before it. Each fold needs the intermediate value to have no other reader; a model where
/// one cannot apply is refused with the layer named.
/// </summary>
internal sealed class GraphFolding(ExportGraph g, Dictionary<Tensor, int> valueOf)
{
    private static readonly HashSet<Opcode> Foldable = [Opcode.Conv2D, Opcode.DepthwiseConv2D, Opcode.Dense];

    /// <summary>Tensors that no longer exist as values after a fold, and why.</summary>
    private readonly Dictionary<Tensor, string> _gone = new(ReferenceEqualityComparer.Instance);

    /// <summary>ZeroPadding2D outputs: the value they pad and the pads [top, left, bottom, right].</summary>
    private readonly Dictionary<Tensor, (int Value, int[] Pads)> _padded = new(ReferenceEqualityComparer.Instance);

    /// <summary>Why <paramref name="t"/> cannot be read by <paramref name="reader"/>, when a fold removed it; else null.</summary>
    public string? WhyNotReadable(Tensor t, string reader) =>
        _gone.TryGetValue(t, out var why) ? $"{reader} reads {why}; the exported graph no longer has that value"
        : _padded.ContainsKey(t) ? $"{reader} reads the output of a ZeroPadding2D, which only a Conv2D or DepthwiseConv2D (or a MaxPool2D after a ReLU) can take into its padding; pad inside the layer instead"
        : null;

    /// <summary>Folds the batch_norm <paramref name="op"/> (trace index <paramref name="opIndex"/>) into the producer of <paramref name="value"/>.</summary>
    public void FoldBatchNorm(TracedOp op, int opIndex, int value)
    {
        string bn = ExportGraph.LayerOf(op.Inputs[1]);
        var node = Producer(value);
        if (node is null || !Foldable.Contains(node.Op.Opcode) || node.Attr(Attr.Activation).AsString() != "linear")
        {
            string what = node is null ? "the model's input" : $"{node.Kind} '{node.Layer}'" + (node.Op.Has(Attr.Activation) ? $" with activation {node.Attr(Attr.Activation).AsString()}" : "");
            throw new NotSupportedException($"BatchNormalization '{bn}' normalizes {what}; the blob folds BatchNormalization only into a Conv2D, DepthwiseConv2D or Dense without activation right before it (put the activation after the BatchNormalization)");
        }

        CheckNoOtherReader(value, $"BatchNormalization '{bn}'", node);
        float[] gamma = op.Inputs[1].ToArray(), beta = op.Inputs[2].ToArray(), mean = op.Inputs[3].ToArray(), variance = op.Inputs[4].ToArray();
        double eps = op.Attributes.First(a => a.Key == "epsilon").Value.AsDouble();
        var kernel = g.Weights[node.Inputs[1].Index];
        int channels = kernel.Shape[^1];
        if (gamma.Length != channels)
        {
            throw new NotSupportedException($"BatchNormalization '{bn}' has {gamma.Length} channels but '{node.Layer}' produces {channels}");
        }

        var w = (float[])kernel.Data.Clone();
        var b = new float[channels];
        float[]? oldBias = node.Inputs.Count > 2 ? g.Weights[node.Inputs[2].Index].Data : null;
        for (int c = 0; c < channels; c++)
        {
            double scale = gamma[c] / Math.Sqrt(variance[c] + eps);
            for (int i = c; i < w.Length; i += channels)
            {
                w[i] = (float)(w[i] * scale);
            }

            b[c] = (float)((((oldBias?[c] ?? 0f) - (double)mean[c]) * scale) + beta[c]);
        }

        g.Weights.Add(kernel with { Data = w });
        node.Inputs[1] = new ExportRef(true, g.Weights.Count - 1);
        g.Weights.Add(new ExportWeight(node.Inputs.Count > 2 ? g.Weights[node.Inputs[2].Index].Name : node.Layer + "/bias", [channels], b));
        if (node.Inputs.Count > 2)
        {
            node.Inputs[2] = new ExportRef(true, g.Weights.Count - 1);
        }
        else
        {
            node.Inputs.Insert(2, new ExportRef(true, g.Weights.Count - 1));
        }

        Replace(op, opIndex, value, $"the output of '{node.Layer}' before BatchNormalization '{bn}' was folded into it");
    }

    /// <summary>Makes <paramref name="activation"/> (the trace op <paramref name="op"/>) the fused activation of the producer of <paramref name="value"/>.</summary>
    public void FuseActivation(TracedOp op, int opIndex, int value, string activation)
    {
        var node = Producer(value);
        if (node is null || !(Foldable.Contains(node.Op.Opcode) || node.Op.Opcode == Opcode.Add) || node.Attr(Attr.Activation).AsString() != "linear")
        {
            string what = node is null ? "the model's input" : $"{node.Kind} '{node.Layer}'";
            throw new NotSupportedException($"{activation} after {what} cannot be exported: the blob has it only as the fused activation of a Conv2D, DepthwiseConv2D, Dense or Add without another activation");
        }

        CheckNoOtherReader(value, activation, node);
        node.Attributes.RemoveAll(a => a.Key == Attr.Activation.Name);
        node.Attributes.Add(Attr.Activation.With(activation));
        Replace(op, opIndex, value, $"the output of '{node.Layer}' before its {activation} was fused into it");
    }

    /// <summary>
    /// A ReLU layer after a convolution, dense layer or add whose output nothing else reads (an imported Relu node, Keras'
    /// ReLU() layer): fused as their activation (an int8 blob then clamps instead of leaving integers); false when it stays an operator.
    /// </summary>
    public bool TryFuseRelu(TracedOp op, int opIndex, int value, bool readLater)
    {
        var node = Producer(value);
        if (readLater || node is null || !(Foldable.Contains(node.Op.Opcode) || node.Op.Opcode == Opcode.Add) || node.Attr(Attr.Activation).AsString() != "linear"
            || g.Nodes.Exists(n => n.Inputs.Any(r => !r.IsWeight && r.Index == value)))
        {
            return false;
        }

        FuseActivation(op, opIndex, value, "relu");
        return true;
    }

    /// <summary>Remembers a zero_pad2d of <paramref name="value"/> until a convolution reads it.</summary>
    public void PendPadding(TracedOp op, int value) => _padded[op.Outputs[0]] = (value, op.Attributes.First(a => a.Key == Attr.Pads.Name).Value.AsInt32Array());

    /// <summary>
    /// When <paramref name="t"/> is a ZeroPadding2D's output and the reading <paramref name="op"/> is a convolution,
    /// the padded value (returned) with the padding moved into the convolution's <paramref name="attributes"/>; else null.
    /// </summary>
    public int? PaddedSource(Tensor t, TracedOp op, OperatorSchema schema, ref List<KeyValuePair<string, EnbValue>> attributes)
    {
        // A max pooling ignores its padding, a ZeroPadding2D pads with zeros: the same only over values a ReLU made.
        bool pool = schema == OperatorSchemas.MaxPool2D;
        if (!_padded.TryGetValue(t, out var p) || !(schema == OperatorSchemas.Conv2D || schema == OperatorSchemas.DepthwiseConv2D || (pool && NonNegative(p.Value))))
        {
            return null;
        }

        int[] dims = g.Values[p.Value].Dims;
        int h = dims[1], w = dims[2];
        int[] window = pool ? schema.Ints(attributes, Attr.PoolSize) : [op.Inputs[1].Shape[0], op.Inputs[1].Shape[1]];
        int kh = window[0], kw = window[1];
        int[] strides = schema.Ints(attributes, pool ? Attr.PoolStrides : Attr.Strides);
        var own = WindowGeometry.Create(h + p.Pads[0] + p.Pads[2], w + p.Pads[1] + p.Pads[3], kh, kw, strides[0], strides[1], schema.Same(attributes));
        int[] total = [p.Pads[0] + own.PadTop, p.Pads[1] + own.PadLeft, p.Pads[2] + own.PadBottom, p.Pads[3] + own.PadRight];
        var same = WindowGeometry.Create(h, w, kh, kw, strides[0], strides[1], same: true);
        var rest = attributes.Where(a => a.Key != Attr.Padding.Name && a.Key != Attr.Pads.Name).ToList();
        if (same.OutH == own.OutH && same.OutW == own.OutW && same.PadTop == total[0] && same.PadLeft == total[1])
        {
            rest.Add(Attr.Padding.With("same"));
        }
        else
        {
            rest.Add(Attr.Padding.With("valid"));
            rest.Add(Attr.Pads.With(EnbValue.Ints(total)));
        }

        attributes = rest;
        return p.Value;
    }

    /// <summary>True when <paramref name="value"/> comes out of a ReLU, fused (ReLU or ReLU6) or not, or a max pooling of one.</summary>
    private bool NonNegative(int value) => Producer(value) is { } node
        && (node.Op.Opcode == Opcode.Relu
            || (node.Op.Has(Attr.Activation) && node.Attr(Attr.Activation).AsString() is "relu" or "relu6")
            || (node.Op.Opcode == Opcode.MaxPool2D && node.Inputs.Count > 0 && !node.Inputs[0].IsWeight && NonNegative(node.Inputs[0].Index)));

    private ExportNode? Producer(int value)
    {
        int index = g.Nodes.FindLastIndex(n => n.Output == value);
        return index >= 0 ? g.Nodes[index] : null;
    }

    private void CheckNoOtherReader(int value, string what, ExportNode producer)
    {
        if (g.Nodes.FirstOrDefault(n => n.Inputs.Any(r => !r.IsWeight && r.Index == value)) is { } reader)
        {
            throw new NotSupportedException($"{what} cannot be folded into '{producer.Layer}': '{reader.Layer}' ({reader.Kind}) also reads '{producer.Layer}''s output");
        }
    }

    /// <summary>The fold's output tensor becomes <paramref name="value"/>; the tensor before it is gone.</summary>
    private void Replace(TracedOp op, int opIndex, int value, string why)
    {
        valueOf.Remove(op.Inputs[0]);
        _gone[op.Inputs[0]] = why;
        valueOf[op.Outputs[0]] = value;
        g.Sources[value] = (opIndex, 0);
    }
}
