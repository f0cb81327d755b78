using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace EdgeNet.Formats.Enb;

/// <summary>
/// Builds an .enb blob: metadata, weight tensors and the graph, then writes it in one pass
/// (layout first, then header, sections and aligned tensor data). <see cref="Write(string)"/>
/// is atomic: a crash mid-write leaves the previous file intact.
/// </summary>
internal sealed class BlobWriter
{
    private readonly List<KeyValuePair<string, EnbValue>> _metadata = [];
    private readonly List<PendingTensor> _tensors = [];
    private readonly Dictionary<string, int> _tensorIndex = new(StringComparer.Ordinal);

    /// <summary>
    /// A writer holding everything <paramref name="reader"/> has — alignment, metadata in order, every
    /// tensor with its bytes and quantization, the graph — to write the blob again with one thing changed.
    /// </summary>
    public static BlobWriter CopyOf(BlobReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var w = new BlobWriter(reader.Header.Alignment);
        foreach (var (k, v) in reader.Metadata)
        {
            w.SetMetadata(k, v);
        }

        for (int i = 0; i < reader.Tensors.Count; i++)
        {
            var t = reader.Tensors[i];
            w.AddTensor(t.Name, t.Type, Shapes.Copy(t.Dims), reader.GetTensorBytes(i), t.Quantization);
        }

        w.Graph = reader.Graph;
        return w;
    }

    public BlobWriter(uint alignment = EnbConstants.DefaultAlignment)
    {
        if (alignment < 8 || alignment > 65536 || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "alignment must be a power of two in 8..65536");
        }

        Alignment = alignment;
    }

    public uint Alignment { get; }

    public GraphDef? Graph { get; set; }

    /// <summary>
    /// Tests only: false writes operators the contract refuses (an unknown attribute, a stride of 0),
    /// as a foreign or buggy writer would, so the readers' refusals can be tested end to end.
    /// </summary>
    internal bool CheckOperatorContract { get; set; } = true;

    public IReadOnlyList<KeyValuePair<string, EnbValue>> Metadata => _metadata;

    public int TensorCount => _tensors.Count;

    /// <summary>Adds or replaces a metadata key-value.</summary>
    public BlobWriter SetMetadata(string key, EnbValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (BlobRules.CheckMetadataKey(key) is { } problem)
        {
            throw new ArgumentException(problem, nameof(key));
        }

        if (BlobRules.CheckMetadataValue(key, value) is { } typeProblem)
        {
            throw new ArgumentException(typeProblem, nameof(value));
        }

        int i = _metadata.FindIndex(kv => kv.Key == key);
        if (i >= 0)
        {
            _metadata[i] = new(key, value);
        }
        else
        {
            _metadata.Add(new(key, value));
        }

        return this;
    }

    public BlobWriter SetMetadata(string key, string value) => SetMetadata(key, EnbValue.String(value));

    /// <summary>Sets a key of the contract (<see cref="Contract.MetadataKeys"/>); a value of another type is refused.</summary>
    public BlobWriter SetMetadata(Contract.MetadataKey key, EnbValue value) => SetMetadata(key.Name, value);

    public BlobWriter SetMetadata(Contract.MetadataKey key, string value) => SetMetadata(key.Name, EnbValue.String(value));

    /// <summary>Adds a tensor from raw little-endian bytes; returns its index in the tensor table.</summary>
    public int AddTensor(string name, ElementType type, ReadOnlySpan<long> dims, ReadOnlySpan<byte> bytes, QuantizationParams? quantization = null)
    {
        if (BlobRules.CheckName(name) is { } nameProblem)
        {
            throw new ArgumentException(nameProblem, nameof(name));
        }

        if (_tensorIndex.ContainsKey(name))
        {
            throw new ArgumentException($"a tensor named '{name}' was already added", nameof(name));
        }

        if (dims.Length > EnbConstants.MaxRank)
        {
            throw new ArgumentException($"tensor '{name}' has rank {dims.Length}; the format allows at most {EnbConstants.MaxRank}", nameof(dims));
        }

        long[] shape = dims.ToArray();
        foreach (long d in shape)
        {
            if (d < 1 || d > uint.MaxValue)
            {
                throw new ArgumentException($"tensor '{name}' dimension {d} is outside 1..{uint.MaxValue}", nameof(dims));
            }
        }

        long count = BlobRules.ElementCount(shape);
        long expected = count < 0 ? -1 : ElementTypeTraits.Of(type).ByteSize(count);
        if (expected != bytes.Length)
        {
            throw new ArgumentException($"tensor '{name}' of {type} [{string.Join(", ", shape)}] needs {expected} bytes, got {bytes.Length}", nameof(bytes));
        }

        var q = quantization ?? QuantizationParams.None;
        if (q.Validate(type, shape) is { } qProblem)
        {
            throw new ArgumentException($"tensor '{name}': {qProblem}", nameof(quantization));
        }

        _tensorIndex[name] = _tensors.Count;
        _tensors.Add(new PendingTensor(name, type, shape, bytes.ToArray(), q));
        return _tensors.Count - 1;
    }

    public int AddTensor<T>(string name, ElementType type, ReadOnlySpan<long> dims, ReadOnlySpan<T> data, QuantizationParams? quantization = null)
        where T : unmanaged =>
        AddTensor(name, type, dims, MemoryMarshal.AsBytes(data), quantization);

    public int AddF32(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> data) => AddTensor(name, ElementType.F32, dims, data);

    public int IndexOf(string name) => _tensorIndex.TryGetValue(name, out int i) ? i : -1;

    /// <summary>
    /// Replaces the data of tensor <paramref name="name"/> with f32 values of the same shape (a fine-tuned
    /// weight; an f16 or weight-only int8 tensor becomes f32 and loses its quantization parameters).
    /// </summary>
    public void ReplaceF32(string name, ReadOnlySpan<float> data)
    {
        int i = IndexOf(name);
        if (i < 0)
        {
            throw new ArgumentException($"no tensor named '{name}' to replace", nameof(name));
        }

        var t = _tensors[i];
        if (BlobRules.ElementCount(t.Dims) != data.Length)
        {
            throw new ArgumentException($"tensor '{name}' [{string.Join(", ", t.Dims)}] holds {BlobRules.ElementCount(t.Dims)} values, got {data.Length}", nameof(data));
        }

        _tensors[i] = new PendingTensor(name, ElementType.F32, t.Dims, MemoryMarshal.AsBytes(data).ToArray(), QuantizationParams.None);
    }

    /// <summary>Writes the blob atomically: a temp file in the same folder, fsync, rename over <paramref name="path"/>.</summary>
    public void Write(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>Test hook: the same atomic write with the stream wrapped (e.g. to inject a failure).</summary>
    internal void Write(string path, Func<Stream, Stream> wrap) => AtomicFile.Write(path, WriteTo, wrap);

    public byte[] ToArray()
    {
        using var ms = new MemoryStream();
        WriteTo(ms);
        return ms.ToArray();
    }

    /// <summary>Writes the whole blob to <paramref name="output"/> sequentially.</summary>
    public void WriteTo(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ValidateGraph();

        // Layout: tensor offsets relative to the data section, each aligned.
        long[] offsets = new long[_tensors.Count];
        long dataEnd = 0;
        for (int i = 0; i < _tensors.Count; i++)
        {
            offsets[i] = BlobRules.AlignUp(dataEnd, Alignment);
            dataEnd = offsets[i] + _tensors[i].Bytes.Length;
        }

        long dataSize = _tensors.Count == 0 ? 0 : BlobRules.AlignUp(dataEnd, Alignment);
        byte[] metadata = EncodeMetadata();
        byte[] table = EncodeTensorTable(offsets);
        byte[] graph = Graph is null ? [] : EncodeGraph(Graph);

        long metadataOffset = EnbConstants.HeaderSize;
        long tensorsOffset = metadataOffset + metadata.Length;
        long graphOffset = tensorsOffset + table.Length;
        long structureEnd = graphOffset + graph.Length;
        long dataOffset = BlobRules.AlignUp(structureEnd, Alignment);
        long fileSize = dataOffset + dataSize;

        var hasher = new XxHash64();
        hasher.Append(metadata);
        hasher.Append(table);
        hasher.Append(graph);
        ulong structureHash = hasher.GetCurrentHashAsUInt64();

        byte[] header = new byte[EnbConstants.HeaderSize];
        using (var hw = new BinaryWriter(new MemoryStream(header)))
        {
            hw.Write(EnbConstants.Magic);
            hw.Write(EnbConstants.Version);
            hw.Write(Graph is null ? 0u : EnbConstants.FlagHasGraph);
            hw.Write(Alignment);
            hw.Write((uint)_metadata.Count);
            hw.Write((uint)_tensors.Count);
            hw.Write((uint)(Graph?.Operators.Count ?? 0));
            hw.Write(metadataOffset);
            hw.Write((long)metadata.Length);
            hw.Write(tensorsOffset);
            hw.Write((long)table.Length);
            hw.Write(graphOffset);
            hw.Write((long)graph.Length);
            hw.Write(dataOffset);
            hw.Write(dataSize);
            hw.Write(fileSize);
            hw.Write(structureHash);
            hw.Write(0UL);
            hw.Write(XxHash64.HashToUInt64(header.AsSpan(0, 120)));
        }

        output.Write(header);
        output.Write(metadata);
        output.Write(table);
        output.Write(graph);
        WriteZeros(output, dataOffset - structureEnd);
        long pos = 0;
        for (int i = 0; i < _tensors.Count; i++)
        {
            WriteZeros(output, offsets[i] - pos);
            output.Write(_tensors[i].Bytes);
            pos = offsets[i] + _tensors[i].Bytes.Length;
        }

        WriteZeros(output, dataSize - pos);
    }

    private static void WriteZeros(Stream s, long n)
    {
        Span<byte> zeros = stackalloc byte[256];
        zeros.Clear();
        while (n > 0)
        {
            int k = (int)Math.Min(n, zeros.Length);
            s.Write(zeros[..k]);
            n -= k;
        }
    }

    private byte[] EncodeMetadata()
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        foreach (var (key, value) in _metadata)
        {
            WriteStr16(w, key);
            ValueCodec.Write(w, value);
        }

        w.Flush();
        return ms.ToArray();
    }

    private byte[] EncodeTensorTable(long[] offsets)
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            WriteStr16(w, t.Name);
            w.Write((byte)t.Type);
            w.Write((byte)t.Dims.Length);
            foreach (long d in t.Dims)
            {
                w.Write((uint)d);
            }

            w.Write(offsets[i]);
            w.Write((long)t.Bytes.Length);
            WriteQuantization(w, t.Quantization);
            w.Write(XxHash64.HashToUInt64(t.Bytes));
        }

        w.Flush();
        return ms.ToArray();
    }

    private static byte[] EncodeGraph(GraphDef g)
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        w.Write((uint)g.Values.Count);
        foreach (var v in g.Values)
        {
            WriteStr16(w, v.Name);
            w.Write((byte)v.Type);
            w.Write((byte)v.Dims.Count);
            foreach (int d in v.Dims)
            {
                w.Write(d);
            }

            WriteQuantization(w, v.Quantization);
        }

        WriteIndexList(w, g.Inputs);
        WriteIndexList(w, g.Outputs);
        foreach (var op in g.Operators)
        {
            w.Write((ushort)op.Opcode);
            w.Write((byte)op.Inputs.Count);
            w.Write((byte)op.Outputs.Count);
            foreach (var r in op.Inputs)
            {
                w.Write(r.Encode());
            }

            foreach (int o in op.Outputs)
            {
                w.Write((uint)o);
            }

            w.Write((ushort)op.Attributes.Count);
            foreach (var (key, value) in op.Attributes)
            {
                WriteStr16(w, key);
                ValueCodec.Write(w, value);
            }
        }

        w.Flush();
        return ms.ToArray();
    }

    private static void WriteIndexList(BinaryWriter w, IReadOnlyList<int> list)
    {
        w.Write((uint)list.Count);
        foreach (int i in list)
        {
            w.Write((uint)i);
        }
    }

    private static void WriteQuantization(BinaryWriter w, QuantizationParams q)
    {
        w.Write((byte)q.Kind);
        w.Write(q.Axis);
        w.Write((uint)q.Scales.Count);
        foreach (float s in q.Scales)
        {
            w.Write(s);
        }

        if (q.Kind != QuantizationKind.PerChannelSymmetric)
        {
            foreach (int z in q.ZeroPoints)
            {
                w.Write(z);
            }
        }
    }

    private static void WriteStr16(BinaryWriter w, string s)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(s);
        w.Write((ushort)bytes.Length);
        w.Write(bytes);
    }

    /// <summary>Refuses a graph the reader would refuse, with a message that names the operator.</summary>
    private void ValidateGraph()
    {
        if (Graph is not { } g)
        {
            return;
        }

        var problems = GraphRules.Check(g, _tensors.Count, i => _tensors[i].Name, CheckOperatorContract);
        if (problems is not null)
        {
            throw new InvalidOperationException("the graph is not valid: " + problems);
        }
    }

    private sealed record PendingTensor(string Name, ElementType Type, long[] Dims, byte[] Bytes, QuantizationParams Quantization);
}
