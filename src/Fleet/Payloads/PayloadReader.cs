using System.Buffers.Binary;

namespace EdgeNet.Fleet.Payloads;

/// <summary>Little-endian reads from a payload, each bounds-checked: a cut payload fails naming the payload and the field.</summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> data, string what)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _at;

    public readonly int Position => _at;

    public readonly int Remaining => _data.Length - _at;

    public ReadOnlySpan<byte> Bytes(int n, string field)
    {
        if (n < 0 || n > Remaining)
        {
            throw new FleetPayloadException($"{what}: field '{field}' needs {n} bytes at byte {_at} but the payload has {Remaining} left ({_data.Length} in all): the message was cut or is not a {what}");
        }

        var s = _data.Slice(_at, n);
        _at += n;
        return s;
    }

    public byte U8(string field) => Bytes(1, field)[0];

    public ushort U16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2, field));

    public uint U32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, field));

    public int I32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, field));

    public ulong U64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8, field));

    public float F32(string field) => BinaryPrimitives.ReadSingleLittleEndian(Bytes(4, field));

    /// <summary>The payload's version byte: <paramref name="supported"/> or older known ones pass, a newer one is refused.</summary>
    public byte Version(byte supported, string reader)
    {
        byte v = U8("version");
        if (v > supported)
        {
            throw new FleetPayloadException($"{what}: version {v} is newer than this reader's {supported}; update {reader} to read it");
        }

        if (v == 0)
        {
            throw new FleetPayloadException($"{what}: version 0 is not a version (the payload is not a {what})");
        }

        return v;
    }

    /// <summary>Nothing may follow the last field: a longer payload is another layout.</summary>
    public readonly void End()
    {
        if (Remaining != 0)
        {
            throw new FleetPayloadException($"{what}: {Remaining} bytes follow the last field at byte {_at}; the payload is {_data.Length} bytes, its header describes {_at}");
        }
    }
}
