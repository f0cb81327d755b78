namespace EdgeNet.Formats.Enb;

/// <summary>What <see cref="BlobReader.Open"/> checks when it opens a blob.</summary>
public sealed record BlobReadOptions
{
    /// <summary>Check the xxHash64 over metadata, tensor table and graph at open (cheap; on by default).</summary>
    public bool VerifyStructureHash { get; init; } = true;

    /// <summary>Check every tensor's xxHash64 at open (reads all weights once; off by default).</summary>
    public bool VerifyTensorHashes { get; init; }

    /// <summary>The structure hash checked, the tensor hashes not.</summary>
    public static BlobReadOptions Default { get; } = new();
}
