using EdgeNet.Formats.Contract;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Tensors;
using Google.Protobuf;

namespace EdgeNet.Trainer.Export;

/// <summary>
/// Writes a float model as ONNX (opset 17) so other runtimes (ONNX Runtime in the benchmarks) run
/// identical weights. The graph comes from the same trace (and cleanup) as the .enb export: BatchNormalization
/// arrives folded, depthwise convolutions become grouped Convs, ReLU6 a Clip. The model's input and output are
/// NHWC; inside, spatial operators chain in ONNX's NCHW with a transpose only where a non-spatial operator
/// (reshape, dense) needs NHWC back. The LSTM's gates are reordered from Keras' i, f, c, o to ONNX's i, o, f, c. The protobuf messages
/// are encoded with Google.Protobuf's CodedOutputStream following onnx.proto.
/// </summary>
public static class OnnxExporter
{
    private const int FloatType = 1;
    private const int Int64Type = 7;

    /// <summary>Writes <paramref name="model"/> (float weights) as an ONNX file taking samples of <paramref name="sampleShape"/>; <paramref name="sample"/>, when given, is traced instead of zeros.</summary>
    public static void Export(Model model, string path, int[] sampleShape, float[]? sample = null)
    {
        ExportGraph g;
        using (var scope = TensorScope.Begin())
        using (var tracer = GraphTracer.Begin())
        {
            int n = sampleShape.Aggregate(1, (a, d) => a * d);
            var x = Tensor.FromArray(sample ?? new float[n], new Shape([1, .. sampleShape]));
            var y = GradientTape.NoRecord(() => model.Apply(x));
            g = ExportGraph.FromTrace(x, y, tracer.Ops);
        }

        var graph = new Proto();
        var inits = new List<Proto>();
        int tmp = 0;
        string T(string hint) => $"{hint}_{tmp++}";
        string Name(int v) => v == g.Input ? "input" : v == g.Output ? "output" : $"v{v}_{g.Values[v].Name.Replace('/', '_')}";
        void Node(string op, string[] inputs, string[] outputs, params Proto[] attrs)
        {
            var node = new Proto();
            foreach (string i in inputs)
            {
                node.Str(1, i);
            }

            foreach (string o in outputs)
            {
                node.Str(2, o);
            }

            node.Str(3, T(op.ToLowerInvariant()));
            node.Str(4, op);
            foreach (var a in attrs)
            {
                node.Sub(5, a);
            }

            graph.Sub(1, node);
        }

        string Init(string name, long[] dims, float[] data)
        {
            var t = new Proto();
            foreach (long d in dims)
            {
                t.Int(1, d);
            }

            t.Int(2, FloatType).Str(8, name).Bytes(9, data.SelectMany(BitConverter.GetBytes).ToArray());
            inits.Add(t);
            return name;
        }

        string InitI64(string name, long[] data)
        {
            var t = new Proto().Int(1, data.Length).Int(2, Int64Type).Str(8, name).Bytes(9, data.SelectMany(BitConverter.GetBytes).ToArray());
            inits.Add(t);
            return name;
        }

        float[] W(ExportRef r) => g.Weights[r.Index].Numpy();
        int[] Shp(ExportRef r) => g.Weights[r.Index].Shape;

        string Activation(string? act, string x, string outName)
        {
            switch (act)
            {
                case "relu": Node("Relu", [x], [outName]); break;
                case "tanh": Node("Tanh", [x], [outName]); break;
                case "sigmoid": Node("Sigmoid", [x], [outName]); break;
                case "relu6": Node("Clip", [x, Init(T("zero"), [], [0f]), Init(T("six"), [], [6f])], [outName]); break;
                case "hard_sigmoid": Node("HardSigmoid", [x], [outName], new Proto().Str(1, "alpha").Int(20, 1).Float(2, 1f / 6f), new Proto().Str(1, "beta").Int(20, 1).Float(2, 0.5f)); break;
                case "hard_swish": Node("HardSwish", [x], [outName]); break;
                case "silu":
                {
                    string s = T("sigmoid");
                    Node("Sigmoid", [x], [s]);
                    Node("Mul", [x, s], [outName]);
                    break;
                }

                default: Node("Identity", [x], [outName]); break;
            }

            return outName;
        }

        // Activations are NHWC at the graph's edges; between spatial operators they stay NCHW (ONNX's layout), so a chain of
        // convolutions has no transposes inside. Each value has a name in one or both layouts; the other is made on demand.
        var nhwc = new Dictionary<int, string> { [g.Input] = "input" };
        var nchw = new Dictionary<int, string>();
        bool Spatial(int v) => g.Values[v].Dims.Length == 4;
        string Nhwc(int v)
        {
            if (!nhwc.TryGetValue(v, out var name))
            {
                name = v == g.Output ? "output" : $"v{v}_nhwc";
                Node("Transpose", [nchw[v]], [name], Ints("perm", [0, 2, 3, 1]));
                nhwc[v] = name;
            }

            return name;
        }

        string Nchw(int v)
        {
            if (!Spatial(v))
            {
                return Nhwc(v);
            }

            if (!nchw.TryGetValue(v, out var name))
            {
                name = $"v{v}_nchw";
                Node("Transpose", [nhwc[v]], [name], Ints("perm", [0, 3, 1, 2]));
                nchw[v] = name;
            }

            return name;
        }

        // A spatial operator's output, named in NCHW; a graph output is transposed back to NHWC at the end.
        string SpatialOut(int v) => nchw[v] = $"v{v}_{g.Values[v].Name.Replace('/', '_')}";

        string FlatOut(int v) => nhwc[v] = Name(v);

        string ConvKernel(ExportNode node, out int[] s, out int group)
        {
            var k = node.Inputs[1];
            s = Shp(k);
            float[] w = W(k);
            if (node.Op.Opcode == Formats.Enb.Opcode.DepthwiseConv2D)
            {
                // [KH, KW, 1, C·M] -> [C·M, 1, KH, KW], one group per input channel.
                int f = s[3];
                var wd = new float[w.Length];
                for (int kh = 0; kh < s[0]; kh++)
                {
                    for (int kw = 0; kw < s[1]; kw++)
                    {
                        for (int o = 0; o < f; o++)
                        {
                            wd[(((o * s[0]) + kh) * s[1]) + kw] = w[(((kh * s[1]) + kw) * f) + o];
                        }
                    }
                }

                group = g.Values[node.Inputs[0].Index].Dims[3];
                return Init(T("kernel"), [f, 1, s[0], s[1]], wd);
            }

            // [KH, KW, C, F] -> [F, C, KH, KW]
            var wt = new float[w.Length];
            for (int kh = 0; kh < s[0]; kh++)
            {
                for (int kw = 0; kw < s[1]; kw++)
                {
                    for (int c = 0; c < s[2]; c++)
                    {
                        for (int f = 0; f < s[3]; f++)
                        {
                            wt[(((f * s[2]) + c) * s[0] + kh) * s[1] + kw] = w[(((kh * s[1]) + kw) * s[2] + c) * s[3] + f];
                        }
                    }
                }
            }

            group = 1;
            return Init(T("kernel"), [s[3], s[2], s[0], s[1]], wt);
        }

        foreach (var node in g.Nodes)
        {
            int xv = node.Inputs[0].Index;
            string? act = node.Op.Attributes.Contains(Attr.Activation) ? node.Attr(Attr.Activation).AsString() : null;
            switch (node.Op.Opcode)
            {
                case Formats.Enb.Opcode.Dense:
                {
                    var k = node.Inputs[1];
                    string kn = Init(T("kernel"), Shp(k).Select(d => (long)d).ToArray(), W(k));
                    string mm = T("matmul");
                    Node("MatMul", [Nhwc(xv), kn], [mm]);
                    string z = mm;
                    if (node.Inputs.Count > 2)
                    {
                        z = T("add");
                        Node("Add", [mm, Init(T("bias"), [Shp(node.Inputs[2])[0]], W(node.Inputs[2]))], [z]);
                    }

                    Activation(act, z, FlatOut(node.Output));
                    break;
                }

                case Formats.Enb.Opcode.Conv2D or Formats.Enb.Opcode.DepthwiseConv2D:
                {
                    string kernel = ConvKernel(node, out int[] s, out int group);
                    var (pads, strides) = Pads(g.Values[xv].Dims, s[0], s[1], node);
                    var inputs = new List<string> { Nchw(xv), kernel };
                    if (node.Inputs.Count > 2)
                    {
                        inputs.Add(Init(T("bias"), [s[3]], W(node.Inputs[2])));
                    }

                    string conv = T("conv");
                    Node("Conv", [.. inputs], [conv], Ints("kernel_shape", [s[0], s[1]]), Ints("strides", strides), Ints("pads", pads), new Proto().Str(1, "group").Int(20, 2).Int(3, group));
                    Activation(act, conv, SpatialOut(node.Output));
                    break;
                }

                case Formats.Enb.Opcode.MaxPool2D or Formats.Enb.Opcode.AvgPool2D:
                {
                    int[] pool = node.Attr(Attr.PoolSize).AsInt32Array();
                    var (pads, strides) = Pads(g.Values[xv].Dims, pool[0], pool[1], node);
                    // AveragePool's count_include_pad is 0 by default: padding is not counted, as in TensorFlow.
                    Node(node.Op.Opcode == Formats.Enb.Opcode.MaxPool2D ? "MaxPool" : "AveragePool", [Nchw(xv)], [SpatialOut(node.Output)],
                        Ints("kernel_shape", pool), Ints("strides", strides), Ints("pads", pads));
                    break;
                }

                case Formats.Enb.Opcode.GlobalAvgPool2D:
                {
                    string pooled = T("gap");
                    Node("GlobalAveragePool", [Nchw(xv)], [pooled]);
                    Node("Flatten", [pooled], [FlatOut(node.Output)], new Proto().Str(1, "axis").Int(20, 2).Int(3, 1));
                    break;
                }

                case Formats.Enb.Opcode.Add:
                {
                    int bv = node.Inputs[1].Index;
                    bool spatial = Spatial(node.Output);
                    string sum = T("add");
                    Node("Add", spatial ? [Nchw(xv), Nchw(bv)] : [Nhwc(xv), Nhwc(bv)], [sum]);
                    Activation(act, sum, spatial ? SpatialOut(node.Output) : FlatOut(node.Output));
                    break;
                }

                case Formats.Enb.Opcode.Reshape or Formats.Enb.Opcode.Flatten:
                    Node("Reshape", [Nhwc(xv), InitI64(T("shape"), [-1, .. g.Values[node.Output].Dims.Skip(1).Select(d => (long)d)])], [FlatOut(node.Output)]);
                    break;
                case Formats.Enb.Opcode.Concat:
                {
                    bool spatial = Spatial(node.Output);
                    var parts = node.Inputs.Select(r => spatial ? Nchw(r.Index) : Nhwc(r.Index)).ToArray();
                    Node("Concat", parts, [spatial ? SpatialOut(node.Output) : FlatOut(node.Output)], new Proto().Str(1, "axis").Int(20, 2).Int(3, spatial ? 1 : -1));
                    break;
                }

                case Formats.Enb.Opcode.ChannelSlice:
                {
                    bool spatial = Spatial(node.Output);
                    long begin = node.Attr(Attr.Begin).AsInt64(), size = node.Attr(Attr.Size).AsInt64();
                    Node("Slice", [spatial ? Nchw(xv) : Nhwc(xv), InitI64(T("starts"), [begin]), InitI64(T("ends"), [begin + size]), InitI64(T("axes"), [spatial ? 1 : -1])],
                        [spatial ? SpatialOut(node.Output) : FlatOut(node.Output)]);
                    break;
                }

                case Formats.Enb.Opcode.ChannelShuffle:
                {
                    // torch's channel_shuffle: view(N, g, C/g, H, W), transpose(1, 2), view(N, C, H, W).
                    bool spatial = Spatial(node.Output);
                    int[] d = g.Values[node.Output].Dims;
                    long groups = node.Attr(Attr.Groups).AsInt64(), c = d[^1];
                    long[] rest = spatial ? [d[1], d[2]] : [];
                    string grouped = T("grouped"), swapped = T("swapped");
                    Node("Reshape", [spatial ? Nchw(xv) : Nhwc(xv), InitI64(T("shape"), [0, groups, c / groups, .. rest])], [grouped]);
                    Node("Transpose", [grouped], [swapped], Ints("perm", spatial ? [0, 2, 1, 3, 4] : [0, 2, 1]));
                    Node("Reshape", [swapped, InitI64(T("shape"), [0, c, .. rest])], [spatial ? SpatialOut(node.Output) : FlatOut(node.Output)]);
                    break;
                }

                case Formats.Enb.Opcode.Mul:
                {
                    // The gate [N, 1, 1, C] is [N, C, 1, 1] in NCHW: ONNX broadcasts it over H and W.
                    int bv = node.Inputs[1].Index;
                    bool spatial = Spatial(node.Output);
                    Node("Mul", spatial ? [Nchw(xv), Nchw(bv)] : [Nhwc(xv), Nhwc(bv)], [spatial ? SpatialOut(node.Output) : FlatOut(node.Output)]);
                    break;
                }

                case Formats.Enb.Opcode.Relu or Formats.Enb.Opcode.Tanh or Formats.Enb.Opcode.Sigmoid
                    or Formats.Enb.Opcode.HardSigmoid or Formats.Enb.Opcode.HardSwish or Formats.Enb.Opcode.Silu:
                    // Element-wise: in whichever layout the input already has.
                    if (Spatial(xv) && nchw.TryGetValue(xv, out var inNchw) && !nhwc.ContainsKey(xv))
                    {
                        Activation(node.Kind, inNchw, SpatialOut(node.Output));
                    }
                    else
                    {
                        Activation(node.Kind, Nhwc(xv), FlatOut(node.Output));
                    }

                    break;
                case Formats.Enb.Opcode.Softmax:
                    Node("Softmax", [Nhwc(xv)], [FlatOut(node.Output)], new Proto().Str(1, "axis").Int(20, 2).Int(3, -1));
                    break;
                case Formats.Enb.Opcode.OneHot:
                {
                    int depth = g.Values[node.Output].Dims[^1];
                    string ids = T("ids");
                    Node("Cast", [Nhwc(xv)], [ids], new Proto().Str(1, "to").Int(20, 2).Int(3, Int64Type));
                    Node("OneHot", [ids, InitI64(T("depth"), [depth]), Init(T("values"), [2], [0f, 1f])], [FlatOut(node.Output)], new Proto().Str(1, "axis").Int(20, 2).Int(3, -1));
                    break;
                }

                case Formats.Enb.Opcode.Embedding:
                {
                    string ids = T("ids");
                    Node("Cast", [Nhwc(xv)], [ids], new Proto().Str(1, "to").Int(20, 2).Int(3, Int64Type));
                    Node("Gather", [Init(T("table"), Shp(node.Inputs[1]).Select(d => (long)d).ToArray(), W(node.Inputs[1])), ids], [FlatOut(node.Output)]);
                    break;
                }

                case Formats.Enb.Opcode.Lstm:
                {
                    int f = Shp(node.Inputs[1])[0], h = Shp(node.Inputs[2])[0];
                    float[] k = W(node.Inputs[1]), r = W(node.Inputs[2]), b = W(node.Inputs[3]);
                    int[] kerasGate = [0, 3, 1, 2]; // ONNX i, o, f, c <- Keras i, f, c, o
                    var wo = new float[4 * h * f];
                    var ro = new float[4 * h * h];
                    var bo = new float[8 * h];
                    for (int gate = 0; gate < 4; gate++)
                    {
                        int kg = kerasGate[gate];
                        for (int j = 0; j < h; j++)
                        {
                            for (int i = 0; i < f; i++)
                            {
                                wo[(((gate * h) + j) * f) + i] = k[(i * 4 * h) + (kg * h) + j];
                            }

                            for (int i = 0; i < h; i++)
                            {
                                ro[(((gate * h) + j) * h) + i] = r[(i * 4 * h) + (kg * h) + j];
                            }

                            bo[(gate * h) + j] = b[(kg * h) + j];
                        }
                    }

                    string tbf = T("time_major"), yAll = T("y"), yh = T("y_h");
                    Node("Transpose", [Nhwc(xv)], [tbf], Ints("perm", [1, 0, 2]));
                    Node("LSTM", [tbf, Init(T("W"), [1, 4 * h, f], wo), Init(T("R"), [1, 4 * h, h], ro), Init(T("B"), [1, 8 * h], bo)], [yAll, yh],
                        new Proto().Str(1, "hidden_size").Int(20, 2).Int(3, h));
                    Node("Reshape", [yh, InitI64(T("shape"), [-1, h])], [FlatOut(node.Output)]);
                    break;
                }

                default:
                    throw new NotSupportedException($"no ONNX mapping for '{node.Kind}'");
            }
        }

        if (!nhwc.TryGetValue(g.Output, out var last))
        {
            Nhwc(g.Output);
        }
        else if (last != "output")
        {
            Node("Identity", [last], ["output"]);
        }

        graph.Str(2, model.Name);
        foreach (var init in inits)
        {
            graph.Sub(5, init);
        }

        graph.Sub(11, ValueInfo("input", g.Values[g.Input].Dims));
        graph.Sub(12, ValueInfo("output", g.Values[g.Output].Dims));
        var m = new Proto().Int(1, 8).Str(2, "EdgeNet.Trainer").Str(3, "0.1").Sub(7, graph).Sub(8, new Proto().Str(1, "").Int(2, 17));
        Formats.Enb.AtomicFile.Write(path, s => s.Write(m.ToArray()));
    }

    private static (int[] Pads, int[] Strides) Pads(int[] inDims, int kh, int kw, ExportNode node)
    {
        var schema = node.Op;
        int[] strides = schema.Ints(node.Attributes, schema.Attribute(Attr.Strides.Name));
        var geo = schema.Window(node.Attributes, inDims[1], inDims[2], kh, kw, strides);
        return ([geo.PadTop, geo.PadLeft, geo.PadBottom, geo.PadRight], strides);
    }

    private static Proto Ints(string name, int[] values)
    {
        var a = new Proto().Str(1, name).Int(20, 7);
        foreach (int v in values)
        {
            a.Int(8, v);
        }

        return a;
    }

    private static Proto ValueInfo(string name, IReadOnlyList<int> dims)
    {
        var shape = new Proto();
        foreach (int d in dims)
        {
            shape.Sub(1, d < 0 ? new Proto().Str(2, "N") : new Proto().Int(1, d));
        }

        var tensorType = new Proto().Int(1, FloatType).Sub(2, shape);
        return new Proto().Str(1, name).Sub(2, new Proto().Sub(1, tensorType));
    }

    /// <summary>A protobuf message: fields are kept in order and encoded with CodedOutputStream by <see cref="ToArray"/>.</summary>
    private sealed class Proto
    {
        private readonly List<(int Field, object Value)> _fields = [];

        public Proto Str(int field, string v)
        {
            _fields.Add((field, v));
            return this;
        }

        public Proto Int(int field, long v)
        {
            _fields.Add((field, v));
            return this;
        }

        public Proto Float(int field, float v)
        {
            _fields.Add((field, v));
            return this;
        }

        public Proto Bytes(int field, byte[] v)
        {
            _fields.Add((field, v));
            return this;
        }

        public Proto Sub(int field, Proto m)
        {
            _fields.Add((field, m));
            return this;
        }

        public byte[] ToArray()
        {
            using var ms = new MemoryStream();
            using (var o = new CodedOutputStream(ms, leaveOpen: true))
            {
                foreach (var (field, value) in _fields)
                {
                    switch (value)
                    {
                        case string s:
                            o.WriteTag(field, WireFormat.WireType.LengthDelimited);
                            o.WriteString(s);
                            break;
                        case long l:
                            o.WriteTag(field, WireFormat.WireType.Varint);
                            o.WriteInt64(l);
                            break;
                        case float f:
                            o.WriteTag(field, WireFormat.WireType.Fixed32);
                            o.WriteFloat(f);
                            break;
                        case byte[] b:
                            o.WriteTag(field, WireFormat.WireType.LengthDelimited);
                            o.WriteBytes(ByteString.CopyFrom(b));
                            break;
                        case Proto p:
                            o.WriteTag(field, WireFormat.WireType.LengthDelimited);
                            o.WriteBytes(ByteString.CopyFrom(p.ToArray()));
                            break;
                    }
                }
            }

            return ms.ToArray();
        }
    }
}
