namespace EdgeNet.Fleet;

/// <summary>A payload that cannot be read: a newer version, a cut or padded message, a value out of range, a blob that does not hash to what was announced. The message names the payload, the field and what to do.</summary>
public sealed class FleetPayloadException : Exception
{
    /// <summary>A payload refused for <paramref name="message"/>.</summary>
    public FleetPayloadException(string message)
        : base(message)
    {
    }

    /// <summary>A payload refused for <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public FleetPayloadException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Not used: every refusal says why.</summary>
    public FleetPayloadException()
        : base("a fleet payload was refused")
    {
    }
}
