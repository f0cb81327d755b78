namespace EdgeNet.Fleet.Payloads;

/// <summary>
/// A board's transition sequence numbers: the high 32 bits are its incarnation (the second it started, since the Unix
/// epoch: a restarted board never reuses a number, nothing to persist), the low 32 bits count its transitions from 0
/// (2^32 at 50 Hz is 2.7 years). The learner's ledger counts each incarnation on its own.
/// </summary>
public static class FleetSequence
{
    /// <summary>The sequence number of transition <paramref name="index"/> of incarnation <paramref name="incarnation"/>.</summary>
    public static ulong Compose(uint incarnation, uint index) => ((ulong)incarnation << 32) | index;

    /// <summary>The incarnation of a sequence number.</summary>
    public static uint Incarnation(ulong sequence) => (uint)(sequence >> 32);

    /// <summary>The index within its incarnation.</summary>
    public static uint Index(ulong sequence) => (uint)sequence;

    /// <summary>An incarnation for a board starting at <paramref name="now"/> (its Unix time in seconds).</summary>
    public static uint IncarnationAt(DateTimeOffset now) => (uint)Math.Clamp(now.ToUnixTimeSeconds(), 1, uint.MaxValue);
}
