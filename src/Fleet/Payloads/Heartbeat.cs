using System.Buffers.Binary;

namespace EdgeNet.Fleet.Payloads;

/// <summary>
/// A board's loop statistics, sent every few seconds (QoS 0: the next one replaces a lost one). Version 1, 44 bytes
/// (docs/fleet.md): u8 version, 3 reserved bytes 0, u32 model version, u64 ticks, u64 last sequence published,
/// u32 episodes, f32 last episode's return, f32 control-loop work p99 (ms), f32 tick jitter p99 (ms), u32 overruns.
/// </summary>
/// <param name="ModelVersion">The model the board acts with.</param>
/// <param name="Ticks">Control-loop ticks since the board started.</param>
/// <param name="LastSequence">The sequence number of the last transition published.</param>
/// <param name="Episodes">Episodes finished.</param>
/// <param name="LastReturn">The last episode's return.</param>
/// <param name="WorkP99Ms">The 99th percentile of the loop's work per tick.</param>
/// <param name="JitterP99Ms">The 99th percentile of the tick's lateness.</param>
/// <param name="Overruns">Ticks whose work overran the period.</param>
public sealed record Heartbeat(uint ModelVersion, ulong Ticks, ulong LastSequence, uint Episodes, float LastReturn, float WorkP99Ms, float JitterP99Ms, uint Overruns)
{
    /// <summary>The layout this code writes and the newest it reads.</summary>
    public const byte Version = 1;

    /// <summary>The payload's length.</summary>
    public const int Bytes = 44;

    /// <summary>The payload of <paramref name="h"/>.</summary>
    public static byte[] Encode(Heartbeat h)
    {
        ArgumentNullException.ThrowIfNull(h);
        var buf = new byte[Bytes];
        var s = buf.AsSpan();
        s[0] = Version;
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], h.ModelVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(s[8..], h.Ticks);
        BinaryPrimitives.WriteUInt64LittleEndian(s[16..], h.LastSequence);
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], h.Episodes);
        BinaryPrimitives.WriteSingleLittleEndian(s[28..], h.LastReturn);
        BinaryPrimitives.WriteSingleLittleEndian(s[32..], h.WorkP99Ms);
        BinaryPrimitives.WriteSingleLittleEndian(s[36..], h.JitterP99Ms);
        BinaryPrimitives.WriteUInt32LittleEndian(s[40..], h.Overruns);
        return buf;
    }

    /// <summary>The heartbeat in <paramref name="payload"/>.</summary>
    /// <exception cref="FleetPayloadException">A newer version, a cut or padded payload.</exception>
    public static Heartbeat Decode(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, "heartbeat");
        r.Version(Version, "the learner (edgenet-train)");
        var reserved = r.Bytes(3, "reserved");
        if (reserved[0] != 0 || reserved[1] != 0 || reserved[2] != 0)
        {
            throw new FleetPayloadException("heartbeat: bytes 1-3 (reserved) are not 0: the payload is from a newer or a foreign writer");
        }

        var h = new Heartbeat(r.U32("model_version"), r.U64("ticks"), r.U64("last_sequence"), r.U32("episodes"), r.F32("last_return"), r.F32("work_p99_ms"), r.F32("jitter_p99_ms"), r.U32("overruns"));
        r.End();
        return h;
    }
}
