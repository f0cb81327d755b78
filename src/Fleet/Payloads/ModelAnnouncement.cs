using System.Buffers.Binary;
using System.Security.Cryptography;

namespace EdgeNet.Fleet.Payloads;

/// <summary>How an announced blob stores its weights (the .enb quantization scheme).</summary>
public enum ModelScheme : byte
{
    /// <summary>f32 weights and activations.</summary>
    F32 = 1,

    /// <summary>f16 weights, f32 activations.</summary>
    F16 = 2,

    /// <summary>int8 weights and activations.</summary>
    Int8 = 3,
}

/// <summary>
/// The learner's retained announcement of the model to act with, the blob inside the same message (one message: a board
/// never sees an announcement without its blob). Version 1 (docs/fleet.md): u8 version, u8 scheme, u16 reserved 0, u32
/// model version, u64 blob size, 32 bytes sha256 of the blob, the blob. A board swaps a blob in only after
/// <see cref="Decode"/> has checked size and hash; otherwise the running model stays.
/// </summary>
/// <param name="ModelVersion">Increases with every announcement of a learner.</param>
/// <param name="Scheme">The blob's scheme.</param>
/// <param name="Sha256">The blob's SHA-256 (32 bytes).</param>
/// <param name="Size">The blob's bytes.</param>
public sealed record ModelAnnouncement(uint ModelVersion, ModelScheme Scheme, byte[] Sha256, long Size)
{
    /// <summary>The layout this code writes and the newest it reads.</summary>
    public const byte Version = 1;

    private const string What = "model announcement";

    /// <summary>The SHA-256 in lower-case hex.</summary>
    public string Sha256Hex => Convert.ToHexStringLower(Sha256);

    /// <summary>The payload announcing <paramref name="blob"/> as model <paramref name="modelVersion"/>.</summary>
    public static byte[] Encode(uint modelVersion, ModelScheme scheme, ReadOnlySpan<byte> blob)
    {
        if (!Enum.IsDefined(scheme))
        {
            throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "an announced blob is f32, f16 or int8");
        }

        var buf = new byte[48 + blob.Length];
        var s = buf.AsSpan();
        s[0] = Version;
        s[1] = (byte)scheme;
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], modelVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(s[8..], (ulong)blob.Length);
        SHA256.HashData(blob, s[16..48]);
        blob.CopyTo(s[48..]);
        return buf;
    }

    /// <summary>The announcement and its blob, the blob's size and SHA-256 checked against the header.</summary>
    /// <exception cref="FleetPayloadException">A newer version, an unknown scheme, a cut blob, a blob that does not hash to the announced SHA-256.</exception>
    public static (ModelAnnouncement Header, byte[] Blob) Decode(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, What);
        r.Version(Version, "edgenet on this board");
        byte scheme = r.U8("scheme");
        if (!Enum.IsDefined((ModelScheme)scheme))
        {
            throw new FleetPayloadException($"{What}: scheme {scheme} is not f32 (1), f16 (2) or int8 (3)");
        }

        if (r.U16("reserved") != 0)
        {
            throw new FleetPayloadException($"{What}: bytes 2-3 (reserved) are not 0: the payload is from a newer or a foreign writer");
        }

        uint version = r.U32("model_version");
        ulong size = r.U64("size");
        byte[] sha = r.Bytes(32, "sha256").ToArray();
        if (size != (ulong)r.Remaining)
        {
            throw new FleetPayloadException($"{What} of model {version}: the blob is {r.Remaining} bytes but the header says {size}: the message was cut or padded; the running model stays");
        }

        byte[] blob = r.Bytes((int)size, "blob").ToArray();
        byte[] actual = SHA256.HashData(blob);
        if (!actual.AsSpan().SequenceEqual(sha))
        {
            throw new FleetPayloadException($"{What} of model {version}: the blob hashes to {Convert.ToHexStringLower(actual)[..16]}… but the header says {Convert.ToHexStringLower(sha)[..16]}…: refused, the running model stays");
        }

        return (new ModelAnnouncement(version, (ModelScheme)scheme, sha, (long)size), blob);
    }
}
