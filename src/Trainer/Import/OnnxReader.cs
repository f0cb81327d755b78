using Google.Protobuf;

namespace EdgeNet.Trainer.Import;

/// <summary>
/// Reads onnx.proto's messages (ModelProto and what it holds) with Google.Protobuf's CodedInputStream: field
/// numbers as onnx.proto gives them, repeated numbers packed or not, unknown fields skipped. Nothing is
/// generated from the .proto: the importer needs a few dozen fields of it.
/// </summary>
public static class OnnxReader
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model or is truncated (the message says where).</exception>
    public static OnnxModel Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such ONNX file", path);
        }

        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            var model = ReadModel(new CodedInputStream(bytes));
            if (model.Graph.Nodes.Count == 0 && model.Opsets.Count == 0)
            {
                throw new InvalidDataException("it holds no graph and no opset: not an ONNX model");
            }

            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not a readable ONNX model ({bytes.Length:N0} bytes; truncated or not protobuf: {e.Message})", e);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static OnnxModel ReadModel(CodedInputStream s)
    {
        var m = new OnnxModel();
        bool graph = false;
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: m.IrVersion = s.ReadInt64(); break;
                case 2: m.Producer = s.ReadString() + m.Producer; break;
                case 3: m.Producer += " " + s.ReadString(); break;
                case 7: m.Graph = ReadGraph(Sub(s)); graph = true; break;
                case 8:
                    {
                        var (domain, version) = ReadOpset(Sub(s));
                        m.Opsets[domain] = version;
                        break;
                    }

                default: s.SkipLastField(); break;
            }
        }

        if (!graph && m.Opsets.Count == 0 && m.IrVersion == 0)
        {
            throw new InvalidDataException("it holds no ONNX ModelProto fields (ir_version, opset_import, graph)");
        }

        return m;
    }

    private static (string Domain, long Version) ReadOpset(CodedInputStream s)
    {
        string domain = "";
        long version = 0;
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: domain = s.ReadString(); break;
                case 2: version = s.ReadInt64(); break;
                default: s.SkipLastField(); break;
            }
        }

        return (domain, version);
    }

    private static OnnxGraph ReadGraph(CodedInputStream s)
    {
        var g = new OnnxGraph();
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: g.Nodes.Add(ReadNode(Sub(s))); break;
                case 2: g.Name = s.ReadString(); break;
                case 5:
                    {
                        var t = ReadTensor(Sub(s));
                        g.Initializers[t.Name] = t;
                        break;
                    }

                case 11: g.Inputs.Add(ReadValueInfo(Sub(s))); break;
                case 12: g.Outputs.Add(ReadValueInfo(Sub(s))); break;
                default: s.SkipLastField(); break;
            }
        }

        return g;
    }

    private static OnnxNode ReadNode(CodedInputStream s)
    {
        var n = new OnnxNode();
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: n.Inputs.Add(s.ReadString()); break;
                case 2: n.Outputs.Add(s.ReadString()); break;
                case 3: n.Name = s.ReadString(); break;
                case 4: n.OpType = s.ReadString(); break;
                case 5:
                    {
                        var a = ReadAttribute(Sub(s));
                        n.Attributes[a.Name] = a;
                        break;
                    }

                case 7: n.Domain = s.ReadString(); break;
                default: s.SkipLastField(); break;
            }
        }

        return n;
    }

    private static OnnxAttr ReadAttribute(CodedInputStream s)
    {
        var a = new OnnxAttr();
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: a.Name = s.ReadString(); break;
                case 2: a.F = s.ReadFloat(); break;
                case 3: a.I = s.ReadInt64(); break;
                case 4: a.S = s.ReadBytes().ToStringUtf8(); break;
                case 5: a.T = ReadTensor(Sub(s)); break;
                case 7: Repeated(s, tag, a.Floats, x => x.ReadFloat()); break;
                case 8: Repeated(s, tag, a.Ints, x => x.ReadInt64()); break;
                case 9: a.Strings.Add(s.ReadBytes().ToStringUtf8()); break;
                case 20: a.Type = (OnnxAttributeType)s.ReadInt32(); break;
                default: s.SkipLastField(); break;
            }
        }

        return a;
    }

    private static OnnxTensor ReadTensor(CodedInputStream s)
    {
        var t = new OnnxTensor();
        var dims = new List<long>();
        var floats = new List<float>();
        var ints = new List<long>();
        var doubles = new List<double>();
        ByteString? raw = null;
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: Repeated(s, tag, dims, x => x.ReadInt64()); break;
                case 2: t.DataType = (OnnxDataType)s.ReadInt32(); break;
                case 4: Repeated(s, tag, floats, x => x.ReadFloat()); break;
                case 5: Repeated(s, tag, ints, x => x.ReadInt32()); break; // int32_data: also int8, uint8, bool, float16 bits
                case 7: Repeated(s, tag, ints, x => x.ReadInt64()); break;
                case 8: t.Name = s.ReadString(); break;
                case 9: raw = s.ReadBytes(); break;
                case 10: Repeated(s, tag, doubles, x => x.ReadDouble()); break;
                case 13: t.ExternalLocation = ReadExternalLocation(Sub(s)) ?? t.ExternalLocation ?? "(unnamed)"; break;
                case 14: t.ExternalLocation = s.ReadInt32() == 1 ? t.ExternalLocation ?? "(external data)" : t.ExternalLocation; break; // data_location: 1 EXTERNAL
                default: s.SkipLastField(); break;
            }
        }

        t.Dims = [.. dims];
        if (t.ExternalLocation is not null)
        {
            return t;
        }

        long count = t.ElementCount;
        if (raw is not null)
        {
            Decode(t, raw.Span, count);
        }
        else if (t.DataType is OnnxDataType.Float)
        {
            t.Floats = [.. floats];
        }
        else if (t.DataType is OnnxDataType.Double)
        {
            t.Floats = doubles.Select(d => (float)d).ToArray();
        }
        else if (t.DataType is OnnxDataType.Float16)
        {
            t.Floats = ints.Select(b => (float)BitConverter.UInt16BitsToHalf((ushort)b)).ToArray();
        }
        else
        {
            t.Ints = [.. ints];
        }

        long have = t.Floats?.Length ?? t.Ints?.Length ?? 0;
        if (have != count)
        {
            throw new InvalidDataException($"tensor '{t.Name}' {t.ShapeText} ({t.DataType}) holds {have} values for {count} elements");
        }

        return t;
    }

    private static void Decode(OnnxTensor t, ReadOnlySpan<byte> raw, long count)
    {
        int size = t.DataType switch
        {
            OnnxDataType.Float or OnnxDataType.Int32 => 4,
            OnnxDataType.Int64 or OnnxDataType.Double => 8,
            OnnxDataType.Float16 => 2,
            OnnxDataType.Int8 or OnnxDataType.UInt8 or OnnxDataType.Bool => 1,
            _ => throw new InvalidDataException($"tensor '{t.Name}' has element type {(int)t.DataType}, which the importer does not read (float, float16, double and integers)"),
        };
        if (raw.Length != count * size)
        {
            throw new InvalidDataException($"tensor '{t.Name}' {t.ShapeText} ({t.DataType}) has {raw.Length} bytes of raw data; it needs {count * size}");
        }

        int n = (int)count;
        switch (t.DataType)
        {
            case OnnxDataType.Float: t.Floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray(); break;
            case OnnxDataType.Double: t.Floats = Array.ConvertAll(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(raw).ToArray(), d => (float)d); break;
            case OnnxDataType.Float16: t.Floats = Array.ConvertAll(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(raw).ToArray(), h => (float)h); break;
            case OnnxDataType.Int64: t.Ints = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(raw).ToArray(); break;
            case OnnxDataType.Int32: t.Ints = Array.ConvertAll(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(raw).ToArray(), v => (long)v); break;
            case OnnxDataType.Int8: t.Ints = new long[n]; for (int i = 0; i < n; i++) { t.Ints[i] = (sbyte)raw[i]; } break;
            default: t.Ints = new long[n]; for (int i = 0; i < n; i++) { t.Ints[i] = raw[i]; } break;
        }
    }

    private static string? ReadExternalLocation(CodedInputStream s)
    {
        string? key = null, location = null;
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: key = s.ReadString(); break;
                case 2: string v = s.ReadString(); location = key == "location" ? v : location; break;
                default: s.SkipLastField(); break;
            }
        }

        return location;
    }

    private static OnnxValueInfo ReadValueInfo(CodedInputStream s)
    {
        var v = new OnnxValueInfo();
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: v.Name = s.ReadString(); break;
                case 2: ReadType(Sub(s), v); break;
                default: s.SkipLastField(); break;
            }
        }

        return v;
    }

    // TypeProto { tensor_type = 1: Tensor { elem_type = 1, shape = 2: TensorShapeProto { dim = 1: Dimension { dim_value = 1, dim_param = 2 } } } }
    private static void ReadType(CodedInputStream s, OnnxValueInfo v)
    {
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 1)
            {
                s.SkipLastField();
                continue;
            }

            var tensor = Sub(s);
            uint t2;
            while ((t2 = tensor.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(t2))
                {
                    case 1: v.ElementType = (OnnxDataType)tensor.ReadInt32(); break;
                    case 2:
                        {
                            v.HasShape = true;
                            var shape = Sub(tensor);
                            uint t3;
                            while ((t3 = shape.ReadTag()) != 0)
                            {
                                if (WireFormat.GetTagFieldNumber(t3) != 1)
                                {
                                    shape.SkipLastField();
                                    continue;
                                }

                                var dim = Sub(shape);
                                long? value = null;
                                string? param = null;
                                uint t4;
                                while ((t4 = dim.ReadTag()) != 0)
                                {
                                    switch (WireFormat.GetTagFieldNumber(t4))
                                    {
                                        case 1: value = dim.ReadInt64(); break;
                                        case 2: param = dim.ReadString(); break;
                                        default: dim.SkipLastField(); break;
                                    }
                                }

                                v.Dims.Add((value, param));
                            }

                            break;
                        }

                    default: tensor.SkipLastField(); break;
                }
            }
        }
    }

    private static CodedInputStream Sub(CodedInputStream s) => new(s.ReadBytes().ToByteArray());

    // A repeated number, packed (one length-delimited run) or not (one value per tag).
    private static void Repeated<T>(CodedInputStream s, uint tag, List<T> into, Func<CodedInputStream, T> read)
    {
        if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
        {
            var packed = Sub(s);
            while (!packed.IsAtEnd)
            {
                into.Add(read(packed));
            }

            return;
        }

        into.Add(read(s));
    }
}
