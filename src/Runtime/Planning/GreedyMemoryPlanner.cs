namespace EdgeNet.Runtime.Planning;

/// <summary>
/// Places buffers with known (size, first use, last use) into one arena, largest first, each at
/// the lowest offset that does not overlap a placed buffer alive at the same time (the greedy
/// planner of tflite-micro). Offsets are aligned to 64 bytes.
/// </summary>
internal sealed class GreedyMemoryPlanner
{
    public const int Alignment = 64;

    private readonly List<(long Size, int First, int Last)> _buffers = [];

    /// <summary>Adds a buffer alive from operator <paramref name="first"/> to <paramref name="last"/> inclusive; returns its id.</summary>
    public int Add(long size, int first, int last)
    {
        if (size < 0 || first > last)
        {
            throw new ArgumentException($"buffer of {size} bytes alive [{first}, {last}] is not valid");
        }

        _buffers.Add((size, first, last));
        return _buffers.Count - 1;
    }

    public int Count => _buffers.Count;

    /// <summary>Sum of all buffer sizes (aligned), i.e. the arena without any sharing.</summary>
    public long TotalBytes => _buffers.Sum(b => (b.Size + Alignment - 1) / Alignment * Alignment);

    /// <summary>Computes offsets; returns them by buffer id and the arena size.</summary>
    public (long[] Offsets, long ArenaSize) Plan()
    {
        var offsets = new long[_buffers.Count];
        var placed = new List<int>();
        long arena = 0;
        foreach (int id in Enumerable.Range(0, _buffers.Count).OrderByDescending(i => _buffers[i].Size).ThenBy(i => _buffers[i].First))
        {
            var b = _buffers[id];
            long size = (b.Size + Alignment - 1) / Alignment * Alignment;
            var live = placed.Where(p => _buffers[p].First <= b.Last && b.First <= _buffers[p].Last)
                .Select(p => (Start: offsets[p], End: offsets[p] + ((_buffers[p].Size + Alignment - 1) / Alignment * Alignment)))
                .OrderBy(r => r.Start);
            long candidate = 0;
            foreach (var (start, end) in live)
            {
                if (candidate + size <= start)
                {
                    break;
                }

                candidate = Math.Max(candidate, end);
            }

            offsets[id] = candidate;
            arena = Math.Max(arena, candidate + size);
            placed.Add(id);
        }

        return (offsets, arena);
    }
}
