using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Trainer.Export;

/// <summary>
/// Turns an <see cref="ExportGraph"/> into blob tensors and operators for one scheme:
/// f32 and f16 store float weights; int8 quantizes the dense/conv2d/max_pool2d/reshape region
/// fully (int8 activations with calibrated ranges, per-channel int8 weights, int32 biases and
/// precomputed requantization multipliers) between a quantize and a dequantize op, and
/// quantizes the weights of everything else (LSTM, embedding) to int8 with float compute.
/// </summary>
internal static class BlobBuilder
{
    private static readonly HashSet<Opcode> IntegerOps = [Opcode.Dense, Opcode.Conv2D, Opcode.MaxPool2D, Opcode.Reshape];

    /// <param name="floatInputLayer">
    /// int8 only: the operators reading the graph input compute in float (int8 weights, float
    /// activations), so a vector input whose features have very different ranges is not squeezed
    /// through one activation scale; their outputs enter the int8 region.
    /// </param>
    /// <param name="floatOutputLayer">int8 only: the operator producing the graph output keeps f32 weights and computes in float (see <see cref="QuantizationOptions.FloatOutputLayer"/>).</param>
    public static void Build(ExportGraph g, QuantizationScheme scheme, float[]? min, float[]? max, BlobWriter w, bool floatInputLayer = false, bool floatOutputLayer = false)
    {
        var values = new List<ValueInfo>();
        var ops = new List<OperatorDef>();
        var valueMap = new int[g.Values.Count];   // export value -> blob value (float version)
        var qValue = new int[g.Values.Count];     // export value -> blob int8 value, or -1
        Array.Fill(qValue, -1);
        var weightIndex = new Dictionary<(int, string), int>();

        int AddValue(string name, ElementType type, int[] dims, QuantizationParams? q = null)
        {
            values.Add(new ValueInfo(name, type, dims, q ?? QuantizationParams.None));
            return values.Count - 1;
        }

        long[] Dims(int weight) => g.Weights[weight].Shape.AsSpan().ToArray().Select(d => (long)d).ToArray();

        int FloatWeight(int i)
        {
            if (weightIndex.TryGetValue((i, "f"), out int t))
            {
                return t;
            }

            var v = g.Weights[i];
            float[] data = v.Numpy();
            t = scheme == QuantizationScheme.F16
                ? w.AddTensor(v.Name, ElementType.F16, Dims(i), data.Select(x => (Half)x).ToArray().AsSpan())
                : w.AddF32(v.Name, Dims(i), data);
            weightIndex[(i, "f")] = t;
            return t;
        }

        int Int8Weight(int i)
        {
            if (weightIndex.TryGetValue((i, "q"), out int t))
            {
                return t;
            }

            var v = g.Weights[i];
            int channels = v.Shape[-1];
            var (q, scales) = Int8Arithmetic.QuantizePerChannelLastAxis(v.Numpy(), channels);
            t = w.AddTensor(v.Name, ElementType.I8, Dims(i), q.AsSpan(), QuantizationParams.PerChannel(v.Shape.Rank - 1, scales));
            weightIndex[(i, "q")] = t;
            return t;
        }

        bool fullInt8 = scheme == QuantizationScheme.Int8 && g.Nodes.All(n => n.Op.Opcode is not (Opcode.Lstm or Opcode.Embedding or Opcode.OneHot));
        (float S, int Z) Range(int v) => Int8Arithmetic.AsymmetricParams(min![v], max![v]);

        int FloatOf(int v)
        {
            if (valueMap[v] >= 0 || qValue[v] < 0)
            {
                return valueMap[v];
            }

            // Leave the int8 region: dequantize.
            var (name, dims) = g.Values[v];
            int f = AddValue(name + "/dequantized", ElementType.F32, dims);
            ops.Add(new OperatorDef(Opcode.Dequantize, [TensorRef.Value(qValue[v])], [f], []));
            valueMap[v] = f;
            return f;
        }

        int QuantOf(int v)
        {
            if (qValue[v] >= 0)
            {
                return qValue[v];
            }

            var (name, dims) = g.Values[v];
            var (s, z) = Range(v);
            int q = AddValue(name + "/quantized", ElementType.I8, dims, QuantizationParams.PerTensor(s, z));
            ops.Add(new OperatorDef(Opcode.Quantize, [TensorRef.Value(FloatOf(v))], [q], []));
            qValue[v] = q;
            return q;
        }

        Array.Fill(valueMap, -1);
        var (inName, inDims) = g.Values[g.Input];
        valueMap[g.Input] = AddValue(inName, ElementType.F32, inDims);

        foreach (var n in g.Nodes)
        {
            int x = n.Inputs[0].Index;
            var (outName, outDims) = g.Values[n.Output];
            bool integer = fullInt8 && IntegerOps.Contains(n.Op.Opcode) && (!n.Op.Attributes.Contains(Attr.Activation) || n.Attr(Attr.Activation).AsString() is "linear" or "relu")
                && !(floatInputLayer && x == g.Input) && !(floatOutputLayer && n.Output == g.Output);
            if (integer)
            {
                int qx = QuantOf(x);
                var inQ = values[qx].Quantization;
                QuantizationParams outQ = n.Op.Opcode is Opcode.MaxPool2D or Opcode.Reshape ? inQ : QuantizationParams.PerTensor(Range(n.Output).S, Range(n.Output).Z);
                int y = AddValue(outName, ElementType.I8, outDims, outQ);
                qValue[n.Output] = y;
                var inputs = new List<TensorRef> { TensorRef.Value(qx) };
                if (n.Op.Opcode is Opcode.Dense or Opcode.Conv2D)
                {
                    int kw = Int8Weight(n.Inputs[1].Index);
                    var wScales = w.IndexOf(g.Weights[n.Inputs[1].Index].Name) >= 0 ? WeightScales(g, n.Inputs[1].Index) : [];
                    inputs.Add(TensorRef.Weight(kw));
                    int channels = wScales.Length;
                    float sx = inQ.Scales[0], sy = outQ.Scales[0];
                    var biasScales = wScales.Select(s => sx * s).ToArray();
                    float[] bias = n.Inputs.Count > 2 ? g.Weights[n.Inputs[2].Index].Numpy() : new float[channels];
                    int[] qb = bias.Select((b, c) => (int)Math.Clamp(Math.Round(b / biasScales[c]), int.MinValue, int.MaxValue)).ToArray();
                    string biasName = n.Inputs.Count > 2 ? g.Weights[n.Inputs[2].Index].Name : n.Layer + "/bias";
                    // Bias scale is implied (input_scale × weight_scale[c]), so it is not stored.
                    inputs.Add(TensorRef.Weight(w.AddTensor(biasName, ElementType.I32, [channels], qb.AsSpan())));
                    var requant = new int[2 * channels];   // [2, C]: multipliers, then shifts
                    for (int c = 0; c < channels; c++)
                    {
                        (requant[c], requant[channels + c]) = Int8Arithmetic.QuantizeMultiplier((double)sx * wScales[c] / sy);
                    }

                    inputs.Add(TensorRef.Weight(w.AddTensor(n.Layer + "/requant", ElementType.I32, [2, channels], requant.AsSpan())));
                }

                ops.Add(new OperatorDef(n.Op.Opcode, inputs, [y], n.Attributes));
                continue;
            }

            var fin = new List<TensorRef> { TensorRef.Value(FloatOf(x)) };
            foreach (var r in n.Inputs.Skip(1))
            {
                bool quantizeWeight = scheme == QuantizationScheme.Int8 && g.Weights[r.Index].Shape.Rank >= 2 && !(floatOutputLayer && n.Output == g.Output);
                fin.Add(TensorRef.Weight(quantizeWeight ? Int8Weight(r.Index) : FloatWeight(r.Index)));
            }

            int fy = AddValue(outName, ElementType.F32, outDims);
            valueMap[n.Output] = fy;
            ops.Add(new OperatorDef(n.Op.Opcode, fin, [fy], n.Attributes));
        }

        int output = FloatOf(g.Output);
        w.Graph = new GraphDef(values, [valueMap[g.Input]], [output], ops);
    }

    private static float[] WeightScales(ExportGraph g, int weight)
    {
        var v = g.Weights[weight];
        return Int8Arithmetic.QuantizePerChannelLastAxis(v.Numpy(), v.Shape[-1]).Scales;
    }
}
