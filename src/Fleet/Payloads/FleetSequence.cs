namespace EdgeNet.Fleet.Payloads;

/// <summary>
/// A board's transition sequence numbers: the high 32 bits are its incarnation, drawn at random when it starts (not its
/// clock: a service restarted within the second, or a board without a real-time clock before NTP, would repeat one),
/// the low 32 bits count its transitions from 0 (2^32 at 50 Hz is 2.7 years). A restarted board has nothing to persist;
/// the learner's ledger counts each incarnation on its own.
/// </summary>
public static class FleetSequence
{
    /// <summary>The sequence number of transition <paramref name="index"/> of incarnation <paramref name="incarnation"/>.</summary>
    public static ulong Compose(uint incarnation, uint index) => ((ulong)incarnation << 32) | index;

    /// <summary>The incarnation of a sequence number.</summary>
    public static uint Incarnation(ulong sequence) => (uint)(sequence >> 32);

    /// <summary>The index within its incarnation.</summary>
    public static uint Index(ulong sequence) => (uint)sequence;

    /// <summary>A new incarnation: 32 random bits (two starts of one board share one with probability 2^−32).</summary>
    public static uint NewIncarnation() => System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
}
