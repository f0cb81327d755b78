using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;

namespace EdgeNet.Trainer.Import;

public static partial class OnnxImporter
{
    /// <summary>How an ONNX value is held here.</summary>
    private enum Layout
    {
        /// <summary>ONNX [N, C, H, W] held as NHWC [N, H, W, C].</summary>
        Image,

        /// <summary>ONNX [N, C, 1, 1] after a global pooling, held as [N, C].</summary>
        Pooled,

        /// <summary>ONNX [N, F] held as [N, F].</summary>
        Vector,

        /// <summary>ONNX [N, H, W, C] (a model converted from TensorFlow, or EdgeNet's own export) held as it is.</summary>
        Nhwc,

        /// <summary>ONNX [N, T, F] (batch first) held as [N, T, F].</summary>
        Sequence,

        /// <summary>ONNX [T, N, F] (time first, what ONNX's LSTM reads) held as [N, T, F].</summary>
        TimeMajor,

        /// <summary>An LSTM's last hidden state, ONNX [1, N, H], held as [N, H].</summary>
        LastState,

        /// <summary>A feature map viewed as ONNX [N, g, C/g, H, W] (a channel shuffle's first step), held as the map [N, H, W, C].</summary>
        Grouped,

        /// <summary>A grouped map with its two group axes swapped, [N, C/g, g, H, W] (the shuffle's second step), held as the map.</summary>
        Shuffled,
    }

    /// <param name="T">The Keras tensor.</param>
    /// <param name="Layout">How it maps onto ONNX's shape.</param>
    /// <param name="Chw">For a flattened feature map: ONNX's (C, H, W), whose order the next Dense's rows must follow.</param>
    /// <param name="NonNegative">Made by a ReLU: zero padding equals a max pooling's −∞ padding.</param>
    /// <param name="Groups">For a grouped or shuffled map: the channel groups.</param>
    private sealed record Value(KerasTensor T, Layout Layout, (int C, int H, int W)? Chw = null, bool NonNegative = false, int Groups = 0);

    /// <summary>The graph walk: one ONNX node (or a MatMul + Add pair) at a time into Keras layers.</summary>
    private sealed partial class Builder(string file, OnnxGraph g, OnnxImportOptions options)
    {
        private readonly Dictionary<string, Value> _values = [];
        private readonly Dictionary<string, OnnxTensor> _consts = new(g.Initializers);
        private readonly HashSet<string> _names = [];
        private readonly List<OnnxImportRow> _rows = [];
        private readonly HashSet<OnnxNode> _done = [];
        private readonly HashSet<string> _zeros = [];      // ConstantOfShape(0) of a shape with the batch in it

        public (Model Model, List<OnnxImportRow> Rows, int[] Shape) Build(string name)
        {
            var inputs = g.Inputs.Where(i => !_consts.ContainsKey(i.Name)).ToList();
            if (inputs.Count != 1)
            {
                throw new OnnxImportException($"{file}: {inputs.Count} graph inputs ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); the importer takes models with one input");
            }

            var (input, shape) = MakeInput(inputs[0]);
            foreach (var n in g.Nodes)
            {
                if (!_done.Contains(n))
                {
                    Map(n);
                }
            }

            if (g.Outputs.Count != 1 || !_values.TryGetValue(g.Outputs[0].Name, out var output))
            {
                throw new OnnxImportException($"{file}: {g.Outputs.Count} graph outputs ({string.Join(", ", g.Outputs.Select(o => $"'{o.Name}'"))}); the importer takes models with one output computed from the input");
            }

            if (output.Chw is var (c, h, w))
            {
                // A flattened feature map as the output: ONNX's order is (C, H, W), EdgeNet's (H, W, C); interleaving the H·W
                // groups of C values gives y[c·HW + p] = x[p·C + c], ONNX's order.
                var order = new ChannelShuffle(h * w, Unique("output_chw_order"));
                output = output with { T = order.Apply(output.T), Chw = null };
                _rows.Add(new OnnxImportRow($"'{g.Outputs[0].Name}'", "output", order.Name, $"a flattened map: reordered from NHWC's (H, W, C) = ({h}, {w}, {c}) to ONNX's (C, H, W)"));
            }

            return (new Model(input, output.T, Sanitize(name)), _rows, shape);
        }

        private (KerasTensor Input, int[] Shape) MakeInput(OnnxValueInfo info)
        {
            if (info.ElementType is not (OnnxDataType.Float or OnnxDataType.Undefined))
            {
                throw new OnnxImportException($"{file}: input '{info.Name}' is {info.ElementType}; the importer takes float inputs");
            }

            int[] dims;
            if (options.InputShape is { } given)
            {
                if (info.HasShape && given.Length != info.Dims.Count - 1)
                {
                    throw new OnnxImportException($"{file}: --input-shape gives {given.Length} dimensions; input '{info.Name}' {info.ShapeText} has {info.Dims.Count - 1} besides the batch");
                }

                dims = given;
            }
            else
            {
                if (!info.HasShape || info.Dims.Count < 2)
                {
                    throw new OnnxImportException($"{file}: input '{info.Name}' has no shape {info.ShapeText}; give it with --input-shape C,H,W (ONNX's order, without the batch)");
                }

                var symbolic = info.Dims.Skip(1).Where(d => d.Value is null or <= 0).Select(d => d.Param ?? "?").ToList();
                if (symbolic.Count > 0)
                {
                    throw new OnnxImportException($"{file}: input '{info.Name}' {info.ShapeText} has symbolic dimensions besides the batch ({string.Join(", ", symbolic)}); give the shape with --input-shape C,H,W (ONNX's order, without the batch)");
                }

                dims = info.Dims.Skip(1).Select(d => (int)d.Value!.Value).ToArray();
            }

            // tf2onnx's (and EdgeNet's) NHWC input, made NCHW by a Transpose before the first convolution.
            var readers = g.Nodes.Where(x => x.Inputs.Contains(info.Name)).ToList();
            if (dims is [int h0, int w0, int c0] && readers.Count > 0 && readers.All(r => r.OpType == "Transpose" && Ints(r, "perm") is [0, 3, 1, 2]))
            {
                var t = Input.Create([h0, w0, c0], Sanitize(info.Name));
                _values[info.Name] = new Value(t, Layout.Nhwc);
                _rows.Add(new OnnxImportRow($"'{info.Name}'", "input", t.Name, $"ONNX [N, {h0}, {w0}, {c0}]: NHWC already (its Transpose to NCHW is dropped)"));
                return (t, [h0, w0, c0]);
            }

            if (dims is [int c, int h, int w])
            {
                var t = Input.Create([h, w, c], Sanitize(info.Name));
                _values[info.Name] = new Value(t, Layout.Image);
                _rows.Add(new OnnxImportRow($"'{info.Name}'", "input", t.Name, $"ONNX [N, {c}, {h}, {w}] taken as NHWC [N, {h}, {w}, {c}]"));
                return (t, [h, w, c]);
            }

            if (dims is [int steps, int features])
            {
                var t = Input.Create([steps, features], Sanitize(info.Name));
                _values[info.Name] = new Value(t, Layout.Sequence);
                _rows.Add(new OnnxImportRow($"'{info.Name}'", "input", t.Name, $"a sequence [N, {steps}, {features}]"));
                return (t, [steps, features]);
            }

            if (dims is [int f])
            {
                var t = Input.Create([f], Sanitize(info.Name));
                _values[info.Name] = new Value(t, Layout.Vector);
                _rows.Add(new OnnxImportRow($"'{info.Name}'", "input", t.Name, $"[N, {f}]"));
                return (t, [f]);
            }

            throw new OnnxImportException($"{file}: input '{info.Name}' has shape [N, {string.Join(", ", dims)}]; the importer takes images [N, C, H, W], sequences [N, T, F] and vectors [N, F]");
        }

        private void Map(OnnxNode n)
        {
            _done.Add(n);
            if (Foldable.Contains(n.OpType) && TryFold(n))
            {
                return;
            }

            switch (n.OpType)
            {
                case "Constant":
                    _consts[n.Outputs[0]] = n.Attributes.TryGetValue("value", out var v) && v.T is { } t ? t : throw Fail(n, "has no tensor 'value' (value_float and the like are not read)");
                    break;
                case "Identity" when _consts.TryGetValue(n.Inputs[0], out var same):
                    _consts[n.Outputs[0]] = same;   // torch writes Identity copies of shared weights (EfficientNet's, MobileNetV3's biases)
                    break;
                case "Identity":
                case "Dropout":
                    Alias(n, In(n, 0), "removed");
                    break;
                case "Conv": Conv(n); break;
                case "BatchNormalization": BatchNorm(n); break;
                case "Relu": Activation(n, new ReLU(name: LayerName(n)), nonNegative: true, ""); break;
                case "Clip": Clip(n); break;
                case "Sigmoid": Sigmoid(n); break;
                case "HardSigmoid": HardSigmoid(n); break;
                case "HardSwish": Activation(n, new ActivationLayer("hard_swish", LayerName(n)), nonNegative: false, ""); break;
                case "Mul": Mul(n); break;
                case "Concat": Concat(n); break;
                case "Sub" or "Div" when ConstantAffine(n): break;
                case "Split": Split(n); break;
                case "Slice": Slice(n); break;
                case "Tanh": Activation(n, new ActivationLayer("tanh", LayerName(n)), nonNegative: false, ""); break;
                case "Softmax": Softmax(n); break;
                case "Add": AddNode(n); break;
                case "MatMul": MatMul(n); break;
                case "Gemm": Gemm(n); break;
                case "MaxPool":
                case "AveragePool": Pool(n); break;
                case "GlobalAveragePool": GlobalAveragePool(n); break;
                case "ReduceMean": ReduceMean(n); break;
                case "Flatten": Flatten(n, Attr(n, "axis", 1), "Flatten"); break;
                case "Reshape": Reshape(n); break;
                case "Transpose": Transpose(n); break;
                case "LSTM": Lstm(n); break;
                case "Gather":
                case "Squeeze": LastState(n); break;
                default: throw Fail(n, "is not mapped on activations (only folded on constants)"); // CheckOperators listed these already
            }
        }

        // ---- values, constants, attributes ----

        private Value In(OnnxNode n, int i)
        {
            string name = i < n.Inputs.Count ? n.Inputs[i] : "";
            if (_values.TryGetValue(name, out var v))
            {
                return v;
            }

            throw _consts.ContainsKey(name)
                ? Fail(n, $"takes the constant '{name}' as input {i}, where the importer needs the running activation")
                : Fail(n, $"input {i} '{name}' is not computed before it (the nodes must be in topological order)");
        }

        private OnnxTensor? OptionalConst(OnnxNode n, int i) =>
            i < n.Inputs.Count && n.Inputs[i].Length > 0
                ? _consts.TryGetValue(n.Inputs[i], out var t) ? t : throw Fail(n, $"input {i} '{n.Inputs[i]}' must be a constant (an initializer or a Constant node) for the importer")
                : null;

        private OnnxTensor Const(OnnxNode n, int i) => OptionalConst(n, i) ?? throw Fail(n, $"has no input {i}");

        private static long Attr(OnnxNode n, string name, long fallback) => n.Attributes.TryGetValue(name, out var a) ? a.I : fallback;

        private static float AttrF(OnnxNode n, string name, float fallback) => n.Attributes.TryGetValue(name, out var a) ? a.F : fallback;

        private static long[]? Ints(OnnxNode n, string name) => n.Attributes.TryGetValue(name, out var a) ? [.. a.Ints] : null;

        private static string AttrS(OnnxNode n, string name, string fallback) => n.Attributes.TryGetValue(name, out var a) ? a.S : fallback;

        private OnnxImportException Fail(OnnxNode n, string what) => new($"{file}: node {n.Label} {what}");

        private void Set(OnnxNode n, Value v) => _values[n.Outputs[0]] = v;

        private void Alias(OnnxNode n, Value v, string note)
        {
            Set(n, v);
            _rows.Add(new OnnxImportRow(n.Label, n.OpType, "", note));
        }

        private void Row(OnnxNode n, Layer layer, string note = "") => _rows.Add(new OnnxImportRow(n.Label, n.OpType, layer.Name, note));

        /// <summary>A Keras-safe, unique layer name from the node's (PyTorch writes '/features/features.0/Conv').</summary>
        private string LayerName(OnnxNode n, string suffix = "") => Unique(Sanitize((n.Name.Length > 0 ? n.Name : n.OpType + "_" + n.Outputs[0]) + suffix));

        private string Unique(string name)
        {
            string s = name;
            for (int i = 1; !_names.Add(s); i++)
            {
                s = $"{name}_{i}";
            }

            return s;
        }

        private int Consumers(string value) => g.Nodes.Count(x => x.Inputs.Contains(value)) + (g.Outputs.Any(o => o.Name == value) ? 1 : 0);
    }

    private static string Sanitize(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '_').ToArray();
        string s = new string(chars).Trim('_');
        return s.Length == 0 ? "onnx" : char.IsAsciiLetter(s[0]) ? s : "n" + s;
    }
}
