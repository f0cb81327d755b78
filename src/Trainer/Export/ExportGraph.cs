using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Export;

/// <summary>A reference from an export node to an activation value or a weight.</summary>
internal readonly record struct ExportRef(bool IsWeight, int Index);

/// <summary>A weight of the export graph: a model variable's values, or values the graph cleanup derived (a kernel with a BatchNormalization folded in).</summary>
internal sealed record ExportWeight(string Name, int[] Shape, float[] Data)
{
    public float[] Numpy() => Data;
}

/// <summary>One operator of the contract (<see cref="OperatorSchema"/>) over export values and weights.</summary>
internal sealed record ExportNode(OperatorSchema Op, List<ExportRef> Inputs, int Output, List<KeyValuePair<string, EnbValue>> Attributes, string Layer)
{
    public string Kind => Op.Name;

    /// <summary>The attribute's value or the contract's default.</summary>
    public EnbValue Attr(AttributeSpec a) => Op.Value(Attributes, a);
}

/// <summary>
/// The float graph of a traced forward pass: values (activations, batch dimension −1), the
/// weights, and nodes in execution order. A chain of LSTMCell steps over the time slices of one
/// sequence is folded into a single <c>lstm</c> node, and the graph is decluttered as it is read
/// (<see cref="GraphFolding"/>): BatchNormalization folded into the convolution or dense layer before
/// it, ZeroPadding2D into the padding of the convolution after it, ReLU6 fused as an activation.
/// </summary>
internal sealed partial class ExportGraph
{
    public List<(string Name, int[] Dims)> Values { get; } = [];

    public List<ExportWeight> Weights { get; } = [];

    public List<ExportNode> Nodes { get; } = [];

    /// <summary>For each value, the position of the traced tensor that produced it (for calibration): (op index, output index); (-1, 0) for the input.</summary>
    public List<(int Op, int Output)> Sources { get; } = [];

    public int Input { get; private set; }

    public int Output { get; private set; }

    /// <summary>The graph as Formats writes it: each node's value input, then its weights in the contract's order.</summary>
    public Formats.Schemes.FloatGraph ToFloatGraph()
    {
        var f = new Formats.Schemes.FloatGraph { Input = Input, Output = Output };
        f.Values.AddRange(Values);
        foreach (var v in Weights)
        {
            f.Weights.Add(new Formats.Schemes.FloatWeight(v.Name, v.Shape, v.Data));
        }

        foreach (var n in Nodes)
        {
            int values = n.Inputs.TakeWhile(r => !r.IsWeight).Count();
            if (values == 0 || n.Inputs.Skip(values).Any(r => !r.IsWeight))
            {
                throw new NotSupportedException($"node '{n.Kind}' of layer '{n.Layer}' must read its values first, then its weights");
            }

            f.Nodes.Add(new Formats.Schemes.FloatNode(n.Op, n.Inputs.Take(values).Select(r => r.Index).ToArray(), n.Inputs.Skip(values).Select(r => r.Index).ToArray(), n.Output, n.Attributes, n.Layer));
        }

        return f;
    }

    public static ExportGraph FromTrace(Tensor input, Tensor output, IReadOnlyList<TracedOp> ops)
    {
        var g = new ExportGraph();
        var valueOf = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        var weightOf = new Dictionary<Variable, int>(ReferenceEqualityComparer.Instance);
        var folding = new GraphFolding(g, valueOf);
        var slices = new Dictionary<Tensor, (int Value, int Start)>(ReferenceEqualityComparer.Instance);
        LstmChain? chain = null;

        g.Input = g.AddValue("input", input, valueOf, (-1, 0));

        int Value(Tensor t, string kind)
        {
            if (chain is not null && ReferenceEquals(t, chain.H))
            {
                FinishChain();
            }

            return valueOf.TryGetValue(t, out int v)
                ? v
                : throw new NotSupportedException(folding.WhyNotReadable(t, kind) ?? $"op '{kind}' reads a tensor {t.Shape} that is neither the model input nor the output of an exportable op (a constant or an unsupported op feeds it)");
        }

        ExportRef Weight(Tensor t, string kind)
        {
            if (t.Variable is not { } v)
            {
                throw new NotSupportedException($"op '{kind}' uses a constant tensor {t.Shape} as a weight; only model variables can be exported");
            }

            if (!weightOf.TryGetValue(v, out int i))
            {
                i = g.Weights.Count;
                weightOf[v] = i;
                g.Weights.Add(new ExportWeight(v.Name, v.Shape.Dims, v.Numpy()));
            }

            return new ExportRef(true, i);
        }

        void FinishChain()
        {
            var c = chain!;
            chain = null;
            int steps = g.Values[c.Source].Dims[1];
            if (c.Steps != steps)
            {
                throw new NotSupportedException($"an LSTM cell loop ran {c.Steps} of the sequence's {steps} steps; only full-sequence loops export as an lstm op");
            }

            int outV = g.AddValue(c.Layer + "/h", c.H, valueOf, (c.LastOp, 0));
            g.Nodes.Add(new ExportNode(OperatorSchemas.Lstm, [new(false, c.Source), c.Kernel, c.Recurrent, c.Bias], outV,
                [Attr.Units.With(c.H.Shape[1]), Attr.ReturnSequences.With(false)], c.Layer));
        }

        for (int i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            switch (op.Kind)
            {
                case "slice" when (int)op.Attributes.First(a => a.Key == "axis").Value.AsInt64() == 1 && op.Attributes.First(a => a.Key == "length").Value.AsInt64() == 1:
                    slices[op.Outputs[0]] = (Value(op.Inputs[0], op.Kind), (int)op.Attributes.First(a => a.Key == "start").Value.AsInt64());
                    continue;
                case "reshape" when slices.TryGetValue(op.Inputs[0], out var s):
                    slices[op.Outputs[0]] = s;
                    continue;
                case "lstm_cell":
                {
                    if (!slices.TryGetValue(op.Inputs[0], out var step))
                    {
                        throw new NotSupportedException("an LSTM cell's input is not a time step of a sequence (x[:, t, :]); only such loops export");
                    }

                    string layer = LayerOf(op.Inputs[3]);
                    if (chain is null)
                    {
                        if (step.Start != 0 || !IsZero(op.Inputs[1]) || !IsZero(op.Inputs[2]))
                        {
                            throw new NotSupportedException("an exported LSTM loop must start at t = 0 from the zero initial state");
                        }

                        chain = new LstmChain(step.Value, Weight(op.Inputs[3], op.Kind), Weight(op.Inputs[4], op.Kind), Weight(op.Inputs[5], op.Kind), layer);
                    }
                    else if (step.Value != chain.Source || step.Start != chain.Steps || !ReferenceEquals(op.Inputs[1], chain.H) || !ReferenceEquals(op.Inputs[2], chain.C) || layer != chain.Layer)
                    {
                        throw new NotSupportedException("LSTM cell steps must run in order over one sequence with the same cell");
                    }

                    chain.Steps++;
                    chain.H = op.Outputs[0];
                    chain.C = op.Outputs[1];
                    chain.LastOp = i;
                    continue;
                }

                case Ops.BatchNormKind:
                    folding.FoldBatchNorm(op, i, Value(op.Inputs[0], op.Kind));
                    continue;
                case "relu6":
                    folding.FuseActivation(op, i, Value(op.Inputs[0], op.Kind), "relu6");
                    continue;
                case "relu" when folding.TryFuseRelu(op, i, Value(op.Inputs[0], op.Kind), ReadLater(ops, i, op.Inputs[0])):
                    continue;
                case Ops.ZeroPadKind:
                    folding.PendPadding(op, Value(op.Inputs[0], op.Kind));
                    continue;
            }

            // Any other traced op is an operator of the contract, its inputs mapped by the schema's roles.
            var schema = OperatorSchemas.Named(op.Kind);
            if (schema is null || schema.Opcode is Opcode.Lstm or Opcode.Quantize or Opcode.Dequantize || op.Inputs.Length > schema.MaxInputs)
            {
                throw new NotSupportedException($"op '{op.Kind}' cannot be exported to a blob (the runtime runs {Exportable}, and LSTM loops); write the model with layers");
            }

            var attributes = op.Attributes;
            var inputs = op.Inputs.Select((t, k) => schema.Input(k).Role == InputRole.Weight
                ? Weight(t, op.Kind)
                : new ExportRef(false, k == 0 && folding.PaddedSource(t, op, schema, ref attributes) is int padded ? padded : Value(t, op.Kind))).ToList();
            if (schema == OperatorSchemas.DepthwiseConv2D)
            {
                // Keras' depthwise kernel [kh, kw, C, M] is the contract's [kh, kw, 1, C·M] (the same values in the same order).
                inputs[1] = g.Reshaped(inputs[1], [op.Inputs[1].Shape[0], op.Inputs[1].Shape[1], 1, op.Inputs[1].Shape[2] * op.Inputs[1].Shape[3]]);
            }

            int firstWeight = schema.Inputs.ToList().FindIndex(i => i.Role == InputRole.Weight);
            string layerName = firstWeight >= 0 && firstWeight < op.Inputs.Length ? LayerOf(op.Inputs[firstWeight]) : op.Layer ?? op.Kind + "_" + g.Nodes.Count;
            if (g.Values.Exists(v => v.Name == layerName))
            {
                layerName = $"{layerName}_{g.Nodes.Count}";   // a layer with several ops (Dense with softmax): each value keeps a distinct name
            }

            int outValue = g.AddValue(layerName, op.Outputs[0], valueOf, (i, 0));
            g.Nodes.Add(new ExportNode(schema, inputs, outValue, attributes, layerName));
        }

        if (chain is not null && ReferenceEquals(output, chain.H))
        {
            FinishChain();
        }

        g.Output = valueOf.TryGetValue(output, out int o) ? o : throw new NotSupportedException(folding.WhyNotReadable(output, "the model's output") ?? "the model's output is not produced by an exportable op");
        return g;
    }

    /// <summary>True when an op after <paramref name="index"/> reads <paramref name="t"/> (a fold must not remove it).</summary>
    private static bool ReadLater(IReadOnlyList<TracedOp> ops, int index, Tensor t)
    {
        for (int j = index + 1; j < ops.Count; j++)
        {
            if (Array.Exists(ops[j].Inputs, x => ReferenceEquals(x, t)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A weight with another shape over the same values (a new entry; the original stays for other readers).</summary>
    internal ExportRef Reshaped(ExportRef w, int[] shape)
    {
        var src = Weights[w.Index];
        Weights.Add(new ExportWeight(src.Name, shape, src.Data));
        return new ExportRef(true, Weights.Count - 1);
    }

    private static string Exportable => string.Join(", ", OperatorSchemas.All.Where(s => s.Opcode is not (Opcode.Lstm or Opcode.Quantize or Opcode.Dequantize)).Select(s => s.Name));

    internal int AddValue(string name, Tensor t, Dictionary<Tensor, int> valueOf, (int, int) source)
    {
        var dims = t.Shape.Dims;
        dims[0] = -1;
        Values.Add((name, dims));
        Sources.Add(source);
        valueOf[t] = Values.Count - 1;
        return Values.Count - 1;
    }

    internal static string LayerOf(Tensor weight) =>
        weight.Variable is { } v && v.Name.LastIndexOf('/') is int k and > 0 ? v.Name[..k] : "layer";

    private static bool IsZero(Tensor t) => t.Variable is null && t.ToArray().All(v => v == 0);

    private sealed class LstmChain(int source, ExportRef kernel, ExportRef recurrent, ExportRef bias, string layer)
    {
        public int Source { get; } = source;
        public ExportRef Kernel { get; } = kernel;
        public ExportRef Recurrent { get; } = recurrent;
        public ExportRef Bias { get; } = bias;
        public string Layer { get; } = layer;
        public int Steps { get; set; }
        public Tensor? H { get; set; }
        public Tensor? C { get; set; }
        public int LastOp { get; set; }
    }
}
