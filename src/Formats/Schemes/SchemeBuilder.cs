using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Schemes;

/// <summary>How a blob stores a float graph.</summary>
internal enum BlobScheme
{
    F32,
    F16,
    Int8,
}

/// <summary>
/// Turns a <see cref="FloatGraph"/> into blob tensors and operators for one scheme (the trainer's export
/// and the board's re-quantization after fine-tuning write through it): f32 and f16 store float weights;
/// int8 quantizes the dense/conv2d/depthwise_conv2d/add/mul/pooling/reshape/element-wise activation region fully
/// (int8 activations with calibrated ranges, per-channel int8 weights — per output channel for depthwise kernels
/// too — int32 biases, precomputed requantization multipliers, a 256-entry table per relu/tanh/sigmoid/
/// hard_sigmoid/hard_swish/silu that is not fused) between a quantize and a dequantize op, and quantizes the
/// weights of everything else (LSTM, embedding) to int8 with float compute.
/// </summary>
internal static class SchemeBuilder
{
    private static readonly HashSet<Opcode> IntegerOps =
        [
            Opcode.Dense, Opcode.Conv2D, Opcode.DepthwiseConv2D, Opcode.MaxPool2D, Opcode.Reshape, Opcode.Flatten, Opcode.Add, Opcode.AvgPool2D, Opcode.GlobalAvgPool2D,
            Opcode.Mul, Opcode.Concat, Opcode.ChannelSlice, Opcode.ChannelShuffle, Opcode.Relu, Opcode.Tanh, Opcode.Sigmoid, Opcode.HardSigmoid, Opcode.HardSwish, Opcode.Silu,
        ];

    /// <summary>The activations an int8 operator applies as a clamp of its output.</summary>
    private static bool IntegerActivation(FloatNode n) => !n.Op.Has(Attr.Activation) || n.Attr(Attr.Activation).AsString() is "linear" or "relu" or "relu6";

    /// <param name="g">The float graph.</param>
    /// <param name="scheme">How to store it.</param>
    /// <param name="min">int8: each value's calibrated minimum, by value index.</param>
    /// <param name="max">int8: each value's calibrated maximum, by value index.</param>
    /// <param name="w">The writer that receives the tensors and the graph.</param>
    /// <param name="floatInputLayer">
    /// int8 only: the operators reading the graph input compute in float (int8 weights, float
    /// activations), so a vector input whose features have very different ranges is not squeezed
    /// through one activation scale; their outputs enter the int8 region.
    /// </param>
    /// <param name="floatOutputLayer">int8 only: the operator producing the graph output keeps f32 weights and computes in float.</param>
    public static void Build(FloatGraph g, BlobScheme scheme, float[]? min, float[]? max, BlobWriter w, bool floatInputLayer = false, bool floatOutputLayer = false)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(w);
        if (scheme == BlobScheme.Int8 && (min is null || max is null || min.Length < g.Values.Count || max.Length < g.Values.Count))
        {
            throw new ArgumentException($"int8 needs a calibrated range for each of the graph's {g.Values.Count} values");
        }

        var values = new List<ValueInfo>();
        var ops = new List<OperatorDef>();
        var valueMap = new int[g.Values.Count];   // graph value -> blob value (float version)
        var qValue = new int[g.Values.Count];     // graph value -> blob int8 value, or -1
        Array.Fill(qValue, -1);
        var weightIndex = new Dictionary<(int, string), int>();

        int AddValue(string name, ElementType type, int[] dims, QuantizationParams? q = null)
        {
            values.Add(new ValueInfo(name, type, dims, q ?? QuantizationParams.None));
            return values.Count - 1;
        }

        int FloatWeight(int i)
        {
            if (weightIndex.TryGetValue((i, "f"), out int t))
            {
                return t;
            }

            var v = g.Weights[i];
            t = scheme == BlobScheme.F16
                ? w.AddTensor(v.Name, ElementType.F16, v.Dims, Array.ConvertAll(v.Data, x => (Half)x).AsSpan())
                : w.AddF32(v.Name, v.Dims, v.Data);
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
            var (q, scales) = Int8Arithmetic.QuantizePerChannelLastAxis(v.Data, v.Shape[^1]);
            t = w.AddTensor(v.Name, ElementType.I8, v.Dims, q.AsSpan(), QuantizationParams.PerChannel(v.Shape.Length - 1, scales));
            weightIndex[(i, "q")] = t;
            return t;
        }

        bool fullInt8 = scheme == BlobScheme.Int8 && !g.Nodes.Exists(n => n.Op.Opcode is Opcode.Lstm or Opcode.Embedding or Opcode.OneHot);
        (float S, int Z) Range(int v) => Int8Arithmetic.AsymmetricParams(min![v], max![v]);
        if (scheme == BlobScheme.Int8)
        {
            // A relu6 output lies in [0, 6] (its calibrated range may overshoot by float rounding): the int8 clamp is then
            // the output range's own top, so the fused clamp at 6 and the 127 of the range agree.
            min = (float[])min!.Clone();
            max = (float[])max!.Clone();
            foreach (var n in g.Nodes)
            {
                if (n.Op.Has(Attr.Activation) && n.Attr(Attr.Activation).AsString() == "relu6")
                {
                    min[n.Output] = Math.Max(min[n.Output], 0f);
                    max[n.Output] = Math.Min(max[n.Output], 6f);
                }
            }
        }

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

        // An int8 value with the quantization <paramref name="target"/>: itself, or a quantize op (i8 → i8) rescaling it.
        var requantized = new Dictionary<(int, string), int>();
        int Requantized(int q, QuantizationParams target, string reader)
        {
            var p = values[q].Quantization;
            if (p.Scales[0] == target.Scales[0] && p.ZeroPoints[0] == target.ZeroPoints[0])
            {
                return q;
            }

            if (requantized.TryGetValue((q, reader), out int done))
            {
                return done;   // concat(x, x): one rescaled copy
            }

            var (m, sh) = Int8Arithmetic.QuantizeMultiplier((double)p.Scales[0] / target.Scales[0]);
            string name = $"{values[q].Name}/for_{reader}";
            var dims = new int[values[q].Dims.Count];
            for (int i = 0; i < dims.Length; i++)
            {
                dims[i] = values[q].Dims[i];
            }

            int r = AddValue(name, ElementType.I8, dims, target);
            int table = w.AddTensor(name + "/requant", ElementType.I32, [2, 1], new[] { m, sh }.AsSpan());
            ops.Add(new OperatorDef(Opcode.Quantize, [TensorRef.Value(q), TensorRef.Weight(table)], [r], []));
            requantized[(q, reader)] = r;
            return r;
        }

        Array.Fill(valueMap, -1);
        var (inName, inDims) = g.Values[g.Input];
        valueMap[g.Input] = AddValue(inName, ElementType.F32, inDims);

        foreach (var n in g.Nodes)
        {
            int x = n.X;
            var (outName, outDims) = g.Values[n.Output];
            bool integer = fullInt8 && IntegerOps.Contains(n.Op.Opcode) && IntegerActivation(n)
                && !(floatInputLayer && x == g.Input) && !(floatOutputLayer && n.Output == g.Output);
            if (integer)
            {
                int qx = QuantOf(x);
                var inQ = values[qx].Quantization;
                QuantizationParams outQ = n.Op.Opcode is Opcode.MaxPool2D or Opcode.Reshape or Opcode.Flatten or Opcode.ChannelSlice or Opcode.ChannelShuffle
                    ? inQ : QuantizationParams.PerTensor(Range(n.Output).S, Range(n.Output).Z);
                var inputs = new List<TensorRef> { TensorRef.Value(qx) };
                float sx = inQ.Scales[0], sy = outQ.Scales[0];
                switch (n.Op.Opcode)
                {
                    case Opcode.Dense or Opcode.Conv2D or Opcode.DepthwiseConv2D:
                    {
                        // The kernel's last axis is the output channel for all three ([in, units], [kh, kw, in, F], [kh, kw, 1, C·M]).
                        int kernel = n.Weights[0];
                        int kw = Int8Weight(kernel);
                        var wScales = Int8Arithmetic.QuantizePerChannelLastAxis(g.Weights[kernel].Data, g.Weights[kernel].Shape[^1]).Scales;
                        inputs.Add(TensorRef.Weight(kw));
                        int channels = wScales.Length;
                        float[] bias = n.Weights.Length > 1 ? g.Weights[n.Weights[1]].Data : new float[channels];
                        var qb = new int[channels];
                        for (int c = 0; c < channels; c++)
                        {
                            qb[c] = (int)Math.Clamp(Math.Round(bias[c] / (sx * wScales[c])), int.MinValue, int.MaxValue);
                        }

                        string biasName = n.Weights.Length > 1 ? g.Weights[n.Weights[1]].Name : n.Layer + "/bias";
                        // Bias scale is implied (input_scale × weight_scale[c]), so it is not stored.
                        inputs.Add(TensorRef.Weight(w.AddTensor(biasName, ElementType.I32, [channels], qb.AsSpan())));
                        var requant = new int[2 * channels];   // [2, C]: multipliers, then shifts
                        for (int c = 0; c < channels; c++)
                        {
                            (requant[c], requant[channels + c]) = Int8Arithmetic.QuantizeMultiplier((double)sx * wScales[c] / sy);
                        }

                        inputs.Add(TensorRef.Weight(w.AddTensor(n.Layer + "/requant", ElementType.I32, [2, channels], requant.AsSpan())));
                        break;
                    }

                    case Opcode.Add:
                    {
                        int qb = QuantOf(n.Xs[1]);
                        inputs.Add(TensorRef.Value(qb));
                        int[] table = Int8Arithmetic.AddRequant(sx, values[qb].Quantization.Scales[0], sy);
                        inputs.Add(TensorRef.Weight(w.AddTensor(n.Layer + "/requant", ElementType.I32, [2, 3], table.AsSpan())));
                        break;
                    }

                    case Opcode.Concat:
                    {
                        // A copy: every input brought to the output's scale and zero point first (TensorFlow Lite's rule).
                        inputs.Clear();
                        foreach (int xv in n.Xs)
                        {
                            inputs.Add(TensorRef.Value(Requantized(QuantOf(xv), outQ, n.Layer)));
                        }

                        break;
                    }

                    case Opcode.Mul:
                    {
                        // One multiplier: (a − z_a)(b − z_b) · s_a·s_b / s_y.
                        int qb = QuantOf(n.Xs[1]);
                        inputs.Add(TensorRef.Value(qb));
                        var (m, sh) = Int8Arithmetic.QuantizeMultiplier((double)sx * values[qb].Quantization.Scales[0] / sy);
                        inputs.Add(TensorRef.Weight(w.AddTensor(n.Layer + "/requant", ElementType.I32, [2, 1], new[] { m, sh }.AsSpan())));
                        break;
                    }

                    case Opcode.Relu or Opcode.Tanh or Opcode.Sigmoid or Opcode.HardSigmoid or Opcode.HardSwish or Opcode.Silu:
                    {
                        var table = Int8Arithmetic.LookupTable(ElementwiseFunctions.Of(n.Op.Opcode)!, sx, inQ.ZeroPoints[0], sy, outQ.ZeroPoints[0]);
                        inputs.Add(TensorRef.Weight(w.AddTensor(n.Layer + "/table", ElementType.I8, [256], table.AsSpan())));
                        break;
                    }

                    case Opcode.AvgPool2D:
                    {
                        int[] pool = n.Op.Ints(n.Attributes, Attr.PoolSize);
                        int taps = pool[0] * pool[1];
                        inputs.Add(TensorRef.Weight(w.AddTensor(n.Layer + "/requant", ElementType.I32, [2, taps], Int8Arithmetic.AveragePoolRequant(sx, sy, taps).AsSpan())));
                        break;
                    }

                    case Opcode.GlobalAvgPool2D:
                    {
                        // One window of H·W taps: the multiplier of sx / (H·W·sy).
                        int[] xDims = g.Values[x].Dims;
                        int hw = xDims[1] * xDims[2];
                        var (m, sh) = Int8Arithmetic.QuantizeMultiplier(sx / ((double)hw * sy));
                        inputs.Add(TensorRef.Weight(w.AddTensor(n.Layer + "/requant", ElementType.I32, [2, 1], new[] { m, sh }.AsSpan())));
                        break;
                    }
                }

                int y = AddValue(outName, ElementType.I8, outDims, outQ);
                qValue[n.Output] = y;
                ops.Add(new OperatorDef(n.Op.Opcode, inputs, [y], new List<KeyValuePair<string, EnbValue>>(n.Attributes)));
                continue;
            }

            var fin = new List<TensorRef>();
            foreach (int xv in n.Xs)
            {
                fin.Add(TensorRef.Value(FloatOf(xv)));
            }

            foreach (int r in n.Weights)
            {
                bool quantizeWeight = scheme == BlobScheme.Int8 && g.Weights[r].Shape.Length >= 2 && !(floatOutputLayer && n.Output == g.Output);
                fin.Add(TensorRef.Weight(quantizeWeight ? Int8Weight(r) : FloatWeight(r)));
            }

            int fy = AddValue(outName, ElementType.F32, outDims);
            valueMap[n.Output] = fy;
            ops.Add(new OperatorDef(n.Op.Opcode, fin, [fy], new List<KeyValuePair<string, EnbValue>>(n.Attributes)));
        }

        int output = FloatOf(g.Output);
        w.Graph = new GraphDef(values, [valueMap[g.Input]], [output], ops);
    }
}
