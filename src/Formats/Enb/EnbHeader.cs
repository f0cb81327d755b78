namespace EdgeNet.Formats.Enb;

/// <summary>The fixed 128-byte header (docs/format.md, "Header").</summary>
public sealed record EnbHeader(
    uint Version,
    uint Flags,
    uint Alignment,
    uint MetadataCount,
    uint TensorCount,
    uint OperatorCount,
    long MetadataOffset,
    long MetadataSize,
    long TensorsOffset,
    long TensorsSize,
    long GraphOffset,
    long GraphSize,
    long DataOffset,
    long DataSize,
    long FileSize,
    ulong StructureHash,
    ulong HeaderHash)
{
    /// <summary>True when the blob holds an operator graph (an exported model, not a checkpoint).</summary>
    public bool HasGraph => (Flags & EnbConstants.FlagHasGraph) != 0;
}
