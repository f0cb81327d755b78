using EdgeNet.Runtime.Planning;

namespace EdgeNet.Runtime;

/// <summary>Planning: the buffers' lifetimes, the arena at a batch, the sub-batch a large batch runs in.</summary>
public sealed unsafe partial class Interpreter
{
    /// <summary>
    /// The arena a sub-batch should fit when <see cref="InterpreterOptions.SubBatch"/> is not set: about one core's
    /// L2 cache (1 MiB on Zen 4 and the Cortex-A76 of a Pi 5, 512 KiB on a Pi 4's shared L2). A convolutional network
    /// reuses its weights across pixels, so running a batch of 50 images one or two at a time loses nothing and keeps
    /// each layer's output in cache for the next; a small MLP's arena fits whole batches, which it needs to reuse its
    /// weights. The arena counts every operator's per-thread scratch, so more threads can mean a smaller sub-batch.
    /// </summary>
    public const long SubBatchArenaBytes = 1 << 20;

    /// <summary>Where the buffers go at one batch: offsets of the root values and of each operator's scratch.</summary>
    private readonly record struct ArenaPlan(Dictionary<int, long> ValueOffsets, long[] ScratchOffsets, long Bytes, long Unshared);

    private int ChooseSubBatch(InterpreterOptions options, bool reentrant)
    {
        if (options.SubBatch is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SubBatch, "SubBatch must be at least 1 (or null: chosen by the arena's size)");
        }

        if (!reentrant || options.MaxBatch == 1 || !_input.HasBatch)
        {
            return options.MaxBatch;
        }

        if (options.SubBatch is { } chosen)
        {
            return Math.Min(chosen, options.MaxBatch);
        }

        // The largest batch whose arena fits the budget, at least 1 (the arena grows with the batch: bisection).
        if (PlanArena(options.MaxBatch).Bytes <= SubBatchArenaBytes)
        {
            return options.MaxBatch;
        }

        int fits = 0, over = options.MaxBatch;
        while (over - fits > 1)
        {
            int mid = (fits + over) / 2;
            (fits, over) = PlanArena(mid).Bytes <= SubBatchArenaBytes ? (mid, over) : (fits, mid);
        }

        return Math.Max(fits, 1);
    }

    /// <summary>
    /// Every root buffer alive from the operator that writes it to the last that reads any of its aliases (the input
    /// from the start, the output to the end; an operator computed depth-first reads and writes during the depthwise
    /// convolution that computes it, and has no scratch of its own), every scratch during its operator, placed by the greedy planner at
    /// <paramref name="batch"/>.
    /// </summary>
    private ArenaPlan PlanArena(int batch)
    {
        var g = _blob.Graph!;
        var first = new Dictionary<int, int>();
        var last = new Dictionary<int, int>();
        first[_input.Root] = 0;
        for (int i = 0; i < _kernels.Length; i++)
        {
            var op = g.Operators[i];
            int at = _kernels[i].ComputedBy?.Index ?? i;   // an operator computed depth-first reads and writes during the one that computes it
            foreach (var r in op.ValueInputs())
            {
                int root = Values[r.Index].Root;
                last[root] = Math.Max(last.GetValueOrDefault(root, at), at);
            }

            int outRoot = Values[op.Outputs[0]].Root;
            first[outRoot] = Math.Min(first.GetValueOrDefault(outRoot, at), at);
            last[outRoot] = Math.Max(last.GetValueOrDefault(outRoot, i), i);
        }

        last[_input.Root] = Math.Max(last.GetValueOrDefault(_input.Root, 0), 0);
        last[_output.Root] = _kernels.Length;
        var planner = new GreedyMemoryPlanner();
        var bufferOf = new Dictionary<int, int>();
        foreach (var (root, f) in first)
        {
            if (_bandedMaps.Contains(root))
            {
                continue;   // never written whole (depth-first)
            }

            long bytes = ValueSlot.LargestOfRoot(Values, root, batch, inBytes: true);
            bufferOf[root] = planner.Add(bytes, f, last.GetValueOrDefault(root, f));
        }

        var scratchIds = new int[_kernels.Length];
        for (int i = 0; i < _kernels.Length; i++)
        {
            long s = _kernels[i].ComputedBy is null ? _kernels[i].ScratchBytes(batch) : 0;   // computed inside another, with that one's scratch
            scratchIds[i] = s > 0 ? planner.Add(s, i, i) : -1;
        }

        var (offsets, size) = planner.Plan();
        var valueOffsets = new Dictionary<int, long>();
        foreach (var (root, id) in bufferOf)
        {
            valueOffsets[root] = offsets[id];
        }

        return new(valueOffsets, Array.ConvertAll(scratchIds, id => id < 0 ? 0 : offsets[id]), size, planner.TotalBytes);
    }
}
