namespace EdgeNet.Formats.Enb;

/// <summary>Fixed numbers of format version 1 (docs/format.md).</summary>
internal static class EnbConstants
{
    /// <summary><c>\x89ENB\r\n\x1a\n</c>.</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'E', (byte)'N', (byte)'B', 0x0D, 0x0A, 0x1A, 0x0A];

    public const uint Version = 1;

    public const int HeaderSize = 128;

    public const uint DefaultAlignment = 64;

    public const uint FlagHasGraph = 1;

    public const int MaxRank = 4;

    public const int MaxStringBytes = 16 << 20;

    public const int MaxOperatorRefs = 255;
}
