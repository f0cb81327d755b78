using System.Buffers.Binary;
using System.Text;

namespace EdgeNet.Formats.Enb;

/// <summary>
/// A bounds-checked little-endian reader over one region of a blob. Every read checks the bytes
/// left first and throws <see cref="EnbFormatException"/> naming the field and its file offset.
/// </summary>
internal ref struct SpanReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _span;
    private readonly long _baseOffset;
    private int _pos;

    public SpanReader(ReadOnlySpan<byte> span, long baseOffset, string file)
    {
        _span = span;
        _baseOffset = baseOffset;
        File = file;
        _pos = 0;
    }

    public string File { get; }

    /// <summary>Absolute file offset of the next byte.</summary>
    public readonly long Offset => _baseOffset + _pos;

    public readonly int Remaining => _span.Length - _pos;

    public readonly EnbFormatException Error(string field, string problem, string? fix = null) =>
        new(File, field, Offset, problem, fix);

    public readonly EnbFormatException ErrorAt(long offset, string field, string problem, string? fix = null) =>
        new(File, field, offset, problem, fix);

    private ReadOnlySpan<byte> Take(int n, string field)
    {
        if (n < 0 || n > Remaining)
        {
            throw Error(field, $"needs {n} bytes but only {Remaining} remain in the section", "the blob is truncated or corrupt: export it again");
        }

        var s = _span.Slice(_pos, n);
        _pos += n;
        return s;
    }

    public byte U8(string field) => Take(1, field)[0];

    public ushort U16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));

    public uint U32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));

    public int I32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));

    public ulong U64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field));

    public long I64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));

    public float F32(string field) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, field));

    public double F64(string field) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, field));

    public ReadOnlySpan<byte> Bytes(int n, string field) => Take(n, field);

    /// <summary>Reads a count and checks that <paramref name="minBytesEach"/> × count bytes remain, before anything is allocated.</summary>
    public int Count(string field, int minBytesEach, long max = int.MaxValue)
    {
        long at = Offset;
        uint raw = U32(field);
        if (raw > max || (long)raw * minBytesEach > Remaining)
        {
            throw ErrorAt(at, field, $"count {raw} cannot fit: each entry needs at least {minBytesEach} bytes and {Remaining} remain", "the blob is corrupt: export it again");
        }

        return (int)raw;
    }

    /// <summary>Checks a count already read elsewhere (e.g. in the header) against the bytes left.</summary>
    public readonly void CheckCount(long count, int minBytesEach, string field)
    {
        if (count < 0 || count * minBytesEach > Remaining)
        {
            throw Error(field, $"count {count} cannot fit: each entry needs at least {minBytesEach} bytes and {Remaining} remain", "the blob is corrupt: export it again");
        }
    }

    /// <summary>A u16-length UTF-8 string of 1..255 bytes.</summary>
    public string Str16(string field)
    {
        long at = Offset;
        ushort n = U16(field + ".length");
        if (n == 0 || n > 255)
        {
            throw ErrorAt(at, field, $"name length {n} is outside 1..255");
        }

        return Utf8(Take(n, field), at, field);
    }

    /// <summary>A u32-length UTF-8 string of at most 16 MiB.</summary>
    public string Str32(string field)
    {
        long at = Offset;
        uint n = U32(field + ".length");
        if (n > EnbConstants.MaxStringBytes)
        {
            throw ErrorAt(at, field, $"string length {n} exceeds the {EnbConstants.MaxStringBytes}-byte limit");
        }

        return Utf8(Take((int)n, field), at, field);
    }

    private readonly string Utf8(ReadOnlySpan<byte> bytes, long at, string field)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw ErrorAt(at, field, "is not valid UTF-8");
        }
    }
}
