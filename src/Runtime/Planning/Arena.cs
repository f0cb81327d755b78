namespace EdgeNet.Runtime.Planning;

/// <summary>
/// One block of planned memory: pinned, zeroed, its start aligned to <see cref="GreedyMemoryPlanner.Alignment"/>
/// bytes, and <see cref="GreedyMemoryPlanner.Alignment"/> readable bytes after its end (a kernel's whole-vector read of a
/// last partial group of channels, whose extra lanes it does not use). Held by the managed array, so a span handed
/// out stays readable (not valid) after its owner is disposed.
/// </summary>
internal sealed unsafe class Arena
{
    private readonly byte[] _array;

    public Arena(long bytes)
    {
        Bytes = bytes;
        _array = GC.AllocateArray<byte>((int)checked(bytes + (2 * GreedyMemoryPlanner.Alignment)), pinned: true);
        fixed (byte* p = _array)
        {
            Pointer = (byte*)(((nint)p + GreedyMemoryPlanner.Alignment - 1) & ~(nint)(GreedyMemoryPlanner.Alignment - 1));
        }
    }

    public long Bytes { get; }

    public byte* Pointer { get; }
}
