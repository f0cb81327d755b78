using EdgeNet.Formats.Contract;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Tensors;
using Google.Protobuf;

namespace EdgeNet.Trainer.Export;

/// <summary>
/// Writes a float model as ONNX (opset 17) so other runtimes (ONNX Runtime in the benchmarks) run
/// identical weights. The graph comes from the same trace as the .enb export; activations stay
/// NHWC at layer boundaries (convolutions and pooling transpose to ONNX's NCHW and back), and the
/// LSTM's gates are reordered from Keras' i, f, c, o to ONNX's i, o, f, c. The protobuf messages
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
        int[] Shp(ExportRef r) => g.Weights[r.Index].Shape.Dims;

        string Activation(string? act, string x, string outName)
        {
            string? op = act switch { "relu" => "Relu", "tanh" => "Tanh", "sigmoid" => "Sigmoid", _ => null };
            if (op is null)
            {
                Node("Identity", [x], [outName]);
            }
            else
            {
                Node(op, [x], [outName]);
            }

            return outName;
        }

        foreach (var node in g.Nodes)
        {
            string x = Name(node.Inputs[0].Index);
            string y = Name(node.Output);
            string? act = node.Op.Attributes.Contains(Attr.Activation) ? node.Attr(Attr.Activation).AsString() : null;
            switch (node.Op.Opcode)
            {
                case Formats.Enb.Opcode.Dense:
                {
                    var k = node.Inputs[1];
                    string kn = Init(T("kernel"), Shp(k).Select(d => (long)d).ToArray(), W(k));
                    string mm = T("matmul");
                    Node("MatMul", [x, kn], [mm]);
                    string z = mm;
                    if (node.Inputs.Count > 2)
                    {
                        z = T("add");
                        Node("Add", [mm, Init(T("bias"), [Shp(node.Inputs[2])[0]], W(node.Inputs[2]))], [z]);
                    }

                    Activation(act, z, y);
                    break;
                }

                case Formats.Enb.Opcode.Conv2D:
                {
                    var k = node.Inputs[1];
                    int[] s = Shp(k); // [KH, KW, C, F] -> [F, C, KH, KW]
                    float[] w = W(k), wt = new float[w.Length];
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

                    var (pads, strides) = Pads(g.Values[node.Inputs[0].Index].Dims, s[0], s[1], node);
                    string nchw = T("nchw");
                    Node("Transpose", [x], [nchw], Ints("perm", [0, 3, 1, 2]));
                    var inputs = new List<string> { nchw, Init(T("kernel"), [s[3], s[2], s[0], s[1]], wt) };
                    if (node.Inputs.Count > 2)
                    {
                        inputs.Add(Init(T("bias"), [s[3]], W(node.Inputs[2])));
                    }

                    string conv = T("conv");
                    Node("Conv", [.. inputs], [conv], Ints("kernel_shape", [s[0], s[1]]), Ints("strides", strides), Ints("pads", pads));
                    string a = Activation(act, conv, T("act"));
                    Node("Transpose", [a], [y], Ints("perm", [0, 2, 3, 1]));
                    break;
                }

                case Formats.Enb.Opcode.MaxPool2D:
                {
                    int[] pool = node.Attr(Attr.PoolSize).AsInt32Array();
                    var (pads, strides) = Pads(g.Values[node.Inputs[0].Index].Dims, pool[0], pool[1], node);
                    string nchw = T("nchw"), mp = T("pool");
                    Node("Transpose", [x], [nchw], Ints("perm", [0, 3, 1, 2]));
                    Node("MaxPool", [nchw], [mp], Ints("kernel_shape", pool), Ints("strides", strides), Ints("pads", pads));
                    Node("Transpose", [mp], [y], Ints("perm", [0, 2, 3, 1]));
                    break;
                }

                case Formats.Enb.Opcode.Reshape:
                    Node("Reshape", [x, InitI64(T("shape"), [-1, .. g.Values[node.Output].Dims.Skip(1).Select(d => (long)d)])], [y]);
                    break;
                case Formats.Enb.Opcode.Relu or Formats.Enb.Opcode.Tanh or Formats.Enb.Opcode.Sigmoid:
                    Activation(node.Kind, x, y);
                    break;
                case Formats.Enb.Opcode.Softmax:
                    Node("Softmax", [x], [y], new Proto().Str(1, "axis").Int(20, 2).Int(3, -1));
                    break;
                case Formats.Enb.Opcode.OneHot:
                {
                    int depth = g.Values[node.Output].Dims[^1];
                    string ids = T("ids");
                    Node("Cast", [x], [ids], new Proto().Str(1, "to").Int(20, 2).Int(3, Int64Type));
                    Node("OneHot", [ids, InitI64(T("depth"), [depth]), Init(T("values"), [2], [0f, 1f])], [y], new Proto().Str(1, "axis").Int(20, 2).Int(3, -1));
                    break;
                }

                case Formats.Enb.Opcode.Embedding:
                {
                    string ids = T("ids");
                    Node("Cast", [x], [ids], new Proto().Str(1, "to").Int(20, 2).Int(3, Int64Type));
                    Node("Gather", [Init(T("table"), Shp(node.Inputs[1]).Select(d => (long)d).ToArray(), W(node.Inputs[1])), ids], [y]);
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
                    Node("Transpose", [x], [tbf], Ints("perm", [1, 0, 2]));
                    Node("LSTM", [tbf, Init(T("W"), [1, 4 * h, f], wo), Init(T("R"), [1, 4 * h, h], ro), Init(T("B"), [1, 8 * h], bo)], [yAll, yh],
                        new Proto().Str(1, "hidden_size").Int(20, 2).Int(3, h));
                    Node("Reshape", [yh, InitI64(T("shape"), [-1, h])], [y]);
                    break;
                }

                default:
                    throw new NotSupportedException($"no ONNX mapping for '{node.Kind}'");
            }
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
