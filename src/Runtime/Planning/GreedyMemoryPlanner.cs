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
    public long TotalBytes
    {
        get
        {
            long sum = 0;
            foreach (var b in _buffers)
            {
                sum += Aligned(b.Size);
            }

            return sum;
        }
    }

    private static long Aligned(long size) => (size + Alignment - 1) / Alignment * Alignment;

    /// <summary>Computes offsets; returns them by buffer id and the arena size.</summary>
    public (long[] Offsets, long ArenaSize) Plan()
    {
        var offsets = new long[_buffers.Count];
        var placed = new List<int>();
        long arena = 0;
        // Largest first; ties by first use, then by id.
        var order = new int[_buffers.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (x, y) =>
            _buffers[x].Size != _buffers[y].Size ? _buffers[y].Size.CompareTo(_buffers[x].Size)
            : _buffers[x].First != _buffers[y].First ? _buffers[x].First.CompareTo(_buffers[y].First)
            : x.CompareTo(y));
        var live = new List<(long Start, long End, int Placed)>();
        foreach (int id in order)
        {
            var b = _buffers[id];
            long size = Aligned(b.Size);
            // The placed buffers alive at the same time as this one, by offset (ties in placing order).
            live.Clear();
            for (int k = 0; k < placed.Count; k++)
            {
                var p = _buffers[placed[k]];
                if (p.First <= b.Last && b.First <= p.Last)
                {
                    live.Add((offsets[placed[k]], offsets[placed[k]] + Aligned(p.Size), k));
                }
            }

            live.Sort((x, y) => x.Start != y.Start ? x.Start.CompareTo(y.Start) : x.Placed.CompareTo(y.Placed));
            long candidate = 0;
            foreach (var (start, end, _) in live)
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
