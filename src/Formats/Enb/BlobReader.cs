using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace EdgeNet.Formats.Enb;

/// <summary>
/// Opens an .enb blob by memory-mapping it (or over a byte array), validates every count, offset
/// and size against the file length before use, and hands out tensor data as spans into the
/// mapping without copying. Any malformed input gives an <see cref="EnbFormatException"/>.
/// </summary>
public sealed unsafe class BlobReader : IDisposable
{
    private readonly MemoryMappedFile? _mmf;
    private readonly MemoryMappedViewAccessor? _view;
    private GCHandle _pin;
    private byte* _base;
    private readonly long _length;
    private readonly Dictionary<string, EnbValue> _metadataByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _tensorByName = new(StringComparer.Ordinal);

    private BlobReader(string file, byte* basePtr, long length, MemoryMappedFile? mmf, MemoryMappedViewAccessor? view, GCHandle pin, BlobReadOptions options)
    {
        FileName = file;
        _base = basePtr;
        _length = length;
        _mmf = mmf;
        _view = view;
        _pin = pin;
        try
        {
            Header = ParseHeader();
            var structure = new ReadOnlySpan<byte>(_base + Header.MetadataOffset, checked((int)(Header.DataOffset - Header.MetadataOffset)));
            if (options.VerifyStructureHash)
            {
                long structLen = Header.GraphOffset + Header.GraphSize - Header.MetadataOffset;
                ulong actual = XxHash64.HashToUInt64(structure[..(int)structLen]);
                if (actual != Header.StructureHash)
                {
                    throw new EnbFormatException(file, "structure_hash", 104, $"metadata, tensor table and graph hash to {actual:x16} but the header says {Header.StructureHash:x16}", "the blob was corrupted in transfer or storage: copy or export it again");
                }
            }

            Metadata = ParseMetadata();
            Tensors = ParseTensors();
            Graph = Header.HasGraph ? ParseGraph() : null;
            if (options.VerifyTensorHashes)
            {
                VerifyTensorHashes();
            }
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>The path, or the name given to an in-memory blob; used in every error message.</summary>
    public string FileName { get; }

    /// <summary>The fixed header: version, flags and section offsets.</summary>
    public EnbHeader Header { get; }

    /// <summary>Every metadata entry, in file order (unknown keys included).</summary>
    public IReadOnlyList<KeyValuePair<string, EnbValue>> Metadata { get; }

    /// <summary>The tensor table: each weight's name, type, shape, quantization and hash.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The operator graph, or null for a blob of weights only (a Keras checkpoint).</summary>
    public GraphDef? Graph { get; }

    /// <summary>The file's size in bytes.</summary>
    public long FileLength => _length;

    /// <summary>Memory-maps <paramref name="path"/> read-only and validates it.</summary>
    public static BlobReader Open(string path, BlobReadOptions? options = null)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"{path}: no such blob file; export one with 'edgenet-train export' or check the path", path);
        }

        long length = info.Length;
        if (length < EnbConstants.HeaderSize)
        {
            throw new EnbFormatException(path, "header", 0, $"the file is {length} bytes; an .enb blob has at least a {EnbConstants.HeaderSize}-byte header", "the file is truncated: copy or export it again");
        }

        var mmf = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = mmf.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;
            return new BlobReader(path, p, length, mmf, view, default, options ?? BlobReadOptions.Default);
        }
        catch
        {
            view?.Dispose();
            mmf.Dispose();
            throw;
        }
    }

    /// <summary>Validates a blob held in memory (pinned for the reader's lifetime).</summary>
    public static BlobReader FromBytes(byte[] bytes, string name = "<memory>", BlobReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < EnbConstants.HeaderSize)
        {
            throw new EnbFormatException(name, "header", 0, $"the blob is {bytes.Length} bytes; an .enb blob has at least a {EnbConstants.HeaderSize}-byte header", "the file is truncated: copy or export it again");
        }

        var pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        return new BlobReader(name, (byte*)pin.AddrOfPinnedObject(), bytes.Length, null, null, pin, options ?? BlobReadOptions.Default);
    }

    /// <summary>The metadata value of <paramref name="key"/>, if present.</summary>
    public bool TryGetMetadata(string key, out EnbValue value) => _metadataByKey.TryGetValue(key, out value!);

    /// <summary>The metadata value of <paramref name="key"/>, or null (keys are listed in <see cref="Contract.MetadataKeys"/>).</summary>
    public EnbValue? GetMetadata(string key) => _metadataByKey.GetValueOrDefault(key);

    /// <summary>The value of a contract key (its type was checked at load), or null when absent.</summary>
    public EnbValue? GetMetadata(Contract.MetadataKey key) => _metadataByKey.GetValueOrDefault(key.Name);

    /// <summary>Index of the tensor called <paramref name="name"/>, or -1.</summary>
    public int FindTensor(string name) => _tensorByName.TryGetValue(name, out int i) ? i : -1;

    /// <summary>The tensor's bytes, a span into the mapping (no copy). Valid until the reader is disposed.</summary>
    public ReadOnlySpan<byte> GetTensorBytes(int index)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        var t = Tensors[index];
        if (t.ByteSize > int.MaxValue)
        {
            throw new EnbFormatException(FileName, $"tensors[{index}].size", -1, $"tensor '{t.Name}' is {t.ByteSize} bytes, over the 2 GiB a span can hold");
        }

        return new ReadOnlySpan<byte>(_base + Header.DataOffset + t.Offset, (int)t.ByteSize);
    }

    /// <summary>The tensor's elements as <typeparamref name="T"/> (float for f32, Half for f16, sbyte for i8, int for i32).</summary>
    public ReadOnlySpan<T> GetTensorData<T>(int index)
        where T : unmanaged
    {
        var t = Tensors[index];
        int size = ElementTypeTraits.Of(t.Type).BytesPerBlock;
        if (sizeof(T) != size)
        {
            throw new InvalidOperationException($"tensor '{t.Name}' is {ElementTypeTraits.Of(t.Type).Name}; {typeof(T).Name} does not match its {size}-byte elements");
        }

        return MemoryMarshal.Cast<byte, T>(GetTensorBytes(index));
    }

    /// <summary>A float copy of the tensor: f16 widened, i8/i32 dequantized with their scales and zero points.</summary>
    public float[] ReadAsFloat(int index)
    {
        var t = Tensors[index];
        var result = new float[t.ElementCount];
        switch (t.Type)
        {
            case ElementType.F32:
                GetTensorData<float>(index).CopyTo(result);
                break;
            case ElementType.F16:
                var h = GetTensorData<Half>(index);
                for (int i = 0; i < h.Length; i++)
                {
                    result[i] = (float)h[i];
                }

                break;
            case ElementType.I8:
                Dequantize(t, GetTensorData<sbyte>(index), result);
                break;
            case ElementType.I32:
                Dequantize(t, GetTensorData<int>(index), result);
                break;
            default:
                throw new NotSupportedException($"no float view of {t.Type}");
        }

        return result;
    }

    private static void Dequantize<T>(TensorInfo t, ReadOnlySpan<T> q, float[] result)
        where T : unmanaged, IConvertible
    {
        var p = t.Quantization;
        bool perChannel = p.Kind is QuantizationKind.PerChannel or QuantizationKind.PerChannelSymmetric;
        long inner = 1;
        if (perChannel)
        {
            for (int d = p.Axis + 1; d < t.Dims.Count; d++)
            {
                inner *= t.Dims[d];
            }
        }

        for (int i = 0; i < q.Length; i++)
        {
            int c = perChannel ? (int)(i / inner % t.Dims[p.Axis]) : 0;
            float scale = p.Kind == QuantizationKind.None ? 1f : p.Scales[c];
            int zp = p.Kind == QuantizationKind.None ? 0 : p.ZeroPoints[c];
            result[i] = scale * (q[i].ToInt32(null) - zp);
        }
    }

    /// <summary>Checks every tensor's xxHash64; throws naming the first tensor that does not match.</summary>
    public void VerifyTensorHashes()
    {
        for (int i = 0; i < Tensors.Count; i++)
        {
            var t = Tensors[i];
            ulong actual = XxHash64.HashToUInt64(GetTensorBytes(i));
            if (actual != t.Hash)
            {
                throw new EnbFormatException(FileName, $"tensors[{i}].hash", Header.DataOffset + t.Offset, $"tensor '{t.Name}' hashes to {actual:x16} but the table says {t.Hash:x16}", "the weights were corrupted in transfer or storage: copy or export the blob again");
            }
        }
    }

    /// <summary>Unmaps the file; spans handed out before are invalid after this.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        if (_base == null)
        {
            return;
        }

        _base = null;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }

        _mmf?.Dispose();
        if (_pin.IsAllocated)
        {
            _pin.Free();
        }
    }

    private EnbFormatException Error(string field, long offset, string problem, string? fix = null) =>
        new(FileName, field, offset, problem, fix);

    private EnbHeader ParseHeader()
    {
        var h = new ReadOnlySpan<byte>(_base, EnbConstants.HeaderSize);
        if (!h[..8].SequenceEqual(EnbConstants.Magic))
        {
            throw Error("magic", 0, "the file does not start with the .enb magic \\x89ENB\\r\\n\\x1a\\n", "this is not an EdgeNet blob: export one with 'edgenet-train export'");
        }

        ulong headerHash = BinaryPrimitives.ReadUInt64LittleEndian(h[120..]);
        ulong actual = XxHash64.HashToUInt64(h[..120]);
        if (actual != headerHash)
        {
            throw Error("header_hash", 120, $"the header hashes to {actual:x16} but stores {headerHash:x16}", "the header is corrupt: copy or export the blob again");
        }

        var r = new SpanReader(h, 0, FileName);
        _ = r.Bytes(8, "magic");
        uint version = r.U32("version");
        if (version != EnbConstants.Version)
        {
            throw version > EnbConstants.Version
                ? Error("version", 8, $"format version {version} is newer than the version {EnbConstants.Version} this EdgeNet reads", "update EdgeNet on this machine to a release that reads format version " + version)
                : Error("version", 8, $"format version {version} is not a valid version", "the blob is corrupt: export it again");
        }

        uint flags = r.U32("flags");
        if ((flags & ~EnbConstants.FlagHasGraph) != 0)
        {
            throw Error("flags", 12, $"unknown flag bits 0x{flags:x8}", "the blob is corrupt or from a newer EdgeNet: update EdgeNet or export it again");
        }

        uint alignment = r.U32("alignment");
        if (alignment < 8 || alignment > 65536 || (alignment & (alignment - 1)) != 0)
        {
            throw Error("alignment", 16, $"alignment {alignment} is not a power of two in 8..65536");
        }

        uint metadataCount = r.U32("metadata_count");
        uint tensorCount = r.U32("tensor_count");
        uint operatorCount = r.U32("operator_count");
        Span<ulong> raw = stackalloc ulong[9];
        for (int i = 0; i < raw.Length; i++)
        {
            raw[i] = r.U64("offsets");
        }

        ulong structureHash = r.U64("structure_hash");
        if (r.U64("reserved") != 0)
        {
            throw Error("reserved", 112, "reserved field is not zero");
        }

        // The file length first: a truncated file is reported as truncated, whatever else is off.
        if (raw[8] != (ulong)_length)
        {
            throw raw[8] > (ulong)_length
                ? Error("file_size", 96, $"the header says the blob is {raw[8]} bytes but the file has {_length}", "the file is truncated: copy or export it again")
                : Error("file_size", 96, $"the header says the blob is {raw[8]} bytes but the file has {_length} (trailing bytes)", "the file was appended to or corrupted: copy or export it again");
        }

        string[] names = ["metadata_offset", "metadata_size", "tensors_offset", "tensors_size", "graph_offset", "graph_size", "data_offset", "data_size", "file_size"];
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] > (ulong)_length)
            {
                throw Error(names[i], 32 + (8 * i), $"value {raw[i]} is beyond the end of the {_length}-byte file", "the blob is corrupt: copy or export it again");
            }
        }

        long metadataOffset = (long)raw[0], metadataSize = (long)raw[1], tensorsOffset = (long)raw[2], tensorsSize = (long)raw[3];
        long graphOffset = (long)raw[4], graphSize = (long)raw[5], dataOffset = (long)raw[6], dataSize = (long)raw[7], fileSize = (long)raw[8];

        // Sections are contiguous and in order; each bound is compared against what is left of the file.
        Expect(metadataOffset == EnbConstants.HeaderSize, "metadata_offset", 32, $"is {metadataOffset}, must be {EnbConstants.HeaderSize}");
        Expect(metadataSize <= _length - metadataOffset, "metadata_size", 40, $"{metadataSize} bytes run past the end of the {_length}-byte file");
        Expect(tensorsOffset == metadataOffset + metadataSize, "tensors_offset", 48, $"is {tensorsOffset}, must follow the metadata at {metadataOffset + metadataSize}");
        Expect(tensorsSize <= _length - tensorsOffset, "tensors_size", 56, $"{tensorsSize} bytes run past the end of the file");
        Expect(graphOffset == tensorsOffset + tensorsSize, "graph_offset", 64, $"is {graphOffset}, must follow the tensor table at {tensorsOffset + tensorsSize}");
        Expect(graphSize <= _length - graphOffset, "graph_size", 72, $"{graphSize} bytes run past the end of the file");
        Expect((graphSize == 0) == ((flags & EnbConstants.FlagHasGraph) == 0), "graph_size", 72, $"is {graphSize} but the has-graph flag is {flags & EnbConstants.FlagHasGraph}");
        Expect((operatorCount == 0) || (flags & EnbConstants.FlagHasGraph) != 0, "operator_count", 28, $"is {operatorCount} but the blob has no graph");
        long structureEnd = graphOffset + graphSize;
        long expectedData = (structureEnd + alignment - 1) / alignment * alignment;
        Expect(dataOffset == expectedData, "data_offset", 80, $"is {dataOffset}, must be {expectedData} (the graph's end aligned to {alignment})");
        Expect(dataOffset <= _length && dataSize == _length - dataOffset, "data_size", 88, $"{dataSize} bytes from {dataOffset} do not end at the file's end ({_length})");
        Expect(dataOffset - metadataOffset <= int.MaxValue, "data_offset", 80, "the structural sections exceed 2 GiB");
        var structure = new ReadOnlySpan<byte>(_base + metadataOffset, (int)(dataOffset - metadataOffset));
        for (long i = structureEnd - metadataOffset; i < structure.Length; i++)
        {
            Expect(structure[(int)i] == 0, "data_offset", metadataOffset + i, "padding before the data section is not zero");
        }

        return new EnbHeader(version, flags, alignment, metadataCount, tensorCount, operatorCount, metadataOffset, metadataSize,
            tensorsOffset, tensorsSize, graphOffset, graphSize, dataOffset, dataSize, fileSize, structureHash, headerHash);
    }

    private void Expect(bool ok, string field, long offset, string problem)
    {
        if (!ok)
        {
            throw Error(field, offset, problem, "the blob is corrupt: copy or export it again");
        }
    }

    private SpanReader Section(long offset, long size) =>
        new(new ReadOnlySpan<byte>(_base + offset, (int)size), offset, FileName);

    private List<KeyValuePair<string, EnbValue>> ParseMetadata()
    {
        var r = Section(Header.MetadataOffset, Header.MetadataSize);
        r.CheckCount(Header.MetadataCount, 5, "metadata_count");
        var list = new List<KeyValuePair<string, EnbValue>>((int)Header.MetadataCount);
        for (int i = 0; i < Header.MetadataCount; i++)
        {
            long at = r.Offset;
            string field = $"metadata[{i}]";
            string key = r.Str16(field + ".key");
            if (BlobRules.CheckMetadataKey(key) is { } problem)
            {
                throw r.ErrorAt(at, field + ".key", problem);
            }

            if (_metadataByKey.ContainsKey(key))
            {
                throw r.ErrorAt(at, field + ".key", $"key '{key}' appears twice");
            }

            var value = ValueCodec.Read(ref r, $"metadata['{key}']");
            if (BlobRules.CheckMetadataValue(key, value) is { } typeProblem)
            {
                throw r.ErrorAt(at, $"metadata['{key}']", typeProblem);
            }

            _metadataByKey[key] = value;
            list.Add(new(key, value));
        }

        ExpectConsumed(ref r, "metadata");
        return list;
    }

    private List<TensorInfo> ParseTensors()
    {
        var r = Section(Header.TensorsOffset, Header.TensorsSize);
        const int MinEntry = 3 + 1 + 1 + 8 + 8 + 9 + 8;
        r.CheckCount(Header.TensorCount, MinEntry, "tensor_count");
        var list = new List<TensorInfo>((int)Header.TensorCount);
        for (int i = 0; i < Header.TensorCount; i++)
        {
            string f = $"tensors[{i}]";
            long at = r.Offset;
            string name = r.Str16(f + ".name");
            if (!_tensorByName.TryAdd(name, i))
            {
                throw r.ErrorAt(at, f + ".name", $"tensor name '{name}' appears twice");
            }

            var type = ReadElementType(ref r, f + ".type");
            var dims = ReadTensorDims(ref r, f);
            long offAt = r.Offset;
            ulong offset = r.U64(f + ".offset");
            ulong size = r.U64(f + ".size");
            if (offset > (ulong)Header.DataSize || offset % Header.Alignment != 0)
            {
                throw r.ErrorAt(offAt, f + ".offset", $"tensor '{name}' offset {offset} is outside the {Header.DataSize}-byte data section or not aligned to {Header.Alignment}");
            }

            if (size > (ulong)Header.DataSize - offset)
            {
                throw r.ErrorAt(offAt + 8, f + ".size", $"tensor '{name}' of {size} bytes at {offset} runs past the {Header.DataSize}-byte data section");
            }

            long count = BlobRules.ElementCount(dims);
            long expected = count < 0 ? -1 : ElementTypeTraits.Of(type).ByteSize(count);
            if (expected < 0 || (ulong)expected != size)
            {
                throw r.ErrorAt(offAt + 8, f + ".size", $"tensor '{name}' is {size} bytes but {ElementTypeTraits.Of(type).Name} [{string.Join(", ", dims)}] needs {expected}");
            }

            var q = ReadQuantization(ref r, f + ".quantization", type, dims);
            ulong hash = r.U64(f + ".hash");
            list.Add(new TensorInfo(name, type, dims, (long)offset, (long)size, q, hash));
        }

        ExpectConsumed(ref r, "tensors");
        CheckNoOverlap(list);
        return list;
    }

    private void CheckNoOverlap(List<TensorInfo> list)
    {
        // The tensors that hold bytes, by offset (ties by index, so the error names the later one).
        var order = new List<int>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i].ByteSize > 0)
            {
                order.Add(i);
            }
        }

        order.Sort((a, b) => list[a].Offset != list[b].Offset ? list[a].Offset.CompareTo(list[b].Offset) : a.CompareTo(b));
        for (int k = 1; k < order.Count; k++)
        {
            TensorInfo prev = list[order[k - 1]], t = list[order[k]];
            if (t.Offset < prev.Offset + prev.ByteSize)
            {
                throw Error($"tensors[{order[k]}].offset", Header.TensorsOffset, $"tensor '{t.Name}' overlaps tensor '{prev.Name}'", "the blob is corrupt: export it again");
            }
        }
    }

    private static ElementType ReadElementType(ref SpanReader r, string field)
    {
        long at = r.Offset;
        byte id = r.U8(field);
        if (!ElementTypeTraits.IsKnown(id))
        {
            throw r.ErrorAt(at, field, $"unknown element type id {id}", "the blob is from a newer EdgeNet or corrupt: update EdgeNet or export it again");
        }

        return (ElementType)id;
    }

    private static long[] ReadTensorDims(ref SpanReader r, string f)
    {
        long at = r.Offset;
        byte rank = r.U8(f + ".rank");
        if (rank > EnbConstants.MaxRank)
        {
            throw r.ErrorAt(at, f + ".rank", $"rank {rank} exceeds {EnbConstants.MaxRank}");
        }

        var dims = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            long dAt = r.Offset;
            dims[d] = r.U32($"{f}.dims[{d}]");
            if (dims[d] == 0)
            {
                throw r.ErrorAt(dAt, $"{f}.dims[{d}]", "dimension is 0; every dimension must be >= 1");
            }
        }

        return dims;
    }

    private static QuantizationParams ReadQuantization(ref SpanReader r, string f, ElementType type, IReadOnlyList<long> dims)
    {
        long at = r.Offset;
        byte kind = r.U8(f + ".kind");
        if (kind > (byte)QuantizationKind.PerChannelSymmetric)
        {
            throw r.ErrorAt(at, f + ".kind", $"unknown quantization kind {kind}");
        }

        int axis = r.I32(f + ".axis");
        bool symmetric = kind == (byte)QuantizationKind.PerChannelSymmetric;
        int count = r.Count(f + ".count", symmetric ? 4 : 8);
        var scales = new float[count];
        var zps = new int[count];
        for (int i = 0; i < count; i++)
        {
            scales[i] = r.F32($"{f}.scales[{i}]");
        }

        for (int i = 0; i < count && !symmetric; i++)
        {
            zps[i] = r.I32($"{f}.zero_points[{i}]");
        }

        var q = kind == 0 && axis == -1 && count == 0 ? QuantizationParams.None : new QuantizationParams((QuantizationKind)kind, axis, scales, zps);
        if (q.Validate(type, dims) is { } problem)
        {
            throw r.ErrorAt(at, f, problem);
        }

        return q;
    }

    private GraphDef ParseGraph()
    {
        var r = Section(Header.GraphOffset, Header.GraphSize);
        int valueCount = r.Count("graph.value_count", 3 + 1 + 1 + 4 + 9);
        var values = new List<ValueInfo>(valueCount);
        var valueOffsets = new long[valueCount];
        for (int i = 0; i < valueCount; i++)
        {
            string f = $"graph.values[{i}]";
            valueOffsets[i] = r.Offset;
            string name = r.Str16(f + ".name");
            var type = ReadElementType(ref r, f + ".type");
            long rankAt = r.Offset;
            byte rank = r.U8(f + ".rank");
            if (rank is < 1 or > EnbConstants.MaxRank)
            {
                throw r.ErrorAt(rankAt, f + ".rank", $"rank {rank} is outside 1..{EnbConstants.MaxRank}");
            }

            var dims = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                dims[d] = r.I32($"{f}.dims[{d}]");
            }

            var q = ReadQuantization(ref r, f + ".quantization", type, Shapes.BatchAsOne(dims));
            values.Add(new ValueInfo(name, type, dims, q));
        }

        var inputs = ReadIndexList(ref r, "graph.inputs");
        var outputs = ReadIndexList(ref r, "graph.outputs");
        r.CheckCount(Header.OperatorCount, 2 + 1 + 1 + 4 + 2, "operator_count");
        var ops = new List<OperatorDef>((int)Header.OperatorCount);
        var opOffsets = new long[Header.OperatorCount];
        for (int o = 0; o < Header.OperatorCount; o++)
        {
            string f = $"graph.operators[{o}]";
            opOffsets[o] = r.Offset;
            ushort code = r.U16(f + ".opcode");
            if (!BlobRules.IsKnownOpcode(code))
            {
                throw r.ErrorAt(opOffsets[o], f + ".opcode", $"unknown opcode {code}", "the blob needs a newer EdgeNet runtime: update it, or export with operators this runtime knows");
            }

            int nIn = r.U8(f + ".input_count");
            int nOut = r.U8(f + ".output_count");
            r.CheckCount(nIn + nOut, 4, f + ".input_count");
            var ins = new TensorRef[nIn];
            for (int k = 0; k < nIn; k++)
            {
                ins[k] = TensorRef.Decode(r.U32($"{f}.inputs[{k}]"));
            }

            var outs = new int[nOut];
            for (int k = 0; k < nOut; k++)
            {
                outs[k] = (int)Math.Min(r.U32($"{f}.outputs[{k}]"), int.MaxValue);
            }

            int nAttr = r.U16(f + ".attribute_count");
            r.CheckCount(nAttr, 3 + 2, f + ".attribute_count");
            var attrs = new List<KeyValuePair<string, EnbValue>>(nAttr);
            for (int a = 0; a < nAttr; a++)
            {
                string key = r.Str16($"{f}.attributes[{a}].key");
                attrs.Add(new(key, ValueCodec.Read(ref r, $"{f}.attributes['{key}']")));
            }

            ops.Add(new OperatorDef((Opcode)code, ins, outs, attrs));
        }

        ExpectConsumed(ref r, "graph");
        var graph = new GraphDef(values, inputs, outputs, ops);
        if (GraphRules.Check(graph, Tensors.Count, i => Tensors[i].Name) is { } p)
        {
            long at = p.Index < 0 ? Header.GraphOffset : p.InOperator ? opOffsets[p.Index] : valueOffsets[p.Index];
            throw Error(p.Field, at, p.Problem, "the blob's graph is corrupt: export it again");
        }

        return graph;
    }

    private static int[] ReadIndexList(ref SpanReader r, string field)
    {
        int n = r.Count(field + ".count", 4);
        var list = new int[n];
        for (int i = 0; i < n; i++)
        {
            list[i] = (int)Math.Min(r.U32($"{field}[{i}]"), int.MaxValue);
        }

        return list;
    }

    private static void ExpectConsumed(ref SpanReader r, string section)
    {
        if (r.Remaining != 0)
        {
            throw r.Error(section, $"{r.Remaining} unexplained bytes at the end of the {section} section", "the blob is corrupt: export it again");
        }
    }
}
