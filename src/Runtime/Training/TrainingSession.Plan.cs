using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Formats.Schemes;
using EdgeNet.Runtime.Planning;
using EdgeNet.Runtime.Training.Ops;

namespace EdgeNet.Runtime.Training;

/// <summary>Planning: the timeline of a step and one arena for everything it touches.</summary>
public sealed partial class TrainingSession
{
    /// <summary>The planned buffers (for the tests' overlap check): name, arena offset and length in floats, live steps.</summary>
    internal List<(string Name, int Offset, long Floats, int First, int Last)> Buffers { get; } = [];

    /// <summary>
    /// Tests only: before each step of the timeline, fill every float of the arena that no buffer alive at that
    /// step holds with NaN, so a buffer used outside its planned lifetime turns the results into NaN.
    /// </summary>
    internal bool PoisonDeadBuffers { get; set; }

    private void Poison(int step)
    {
        if (!PoisonDeadBuffers)
        {
            return;
        }

        var live = new bool[_arena.Data.Length];
        foreach (var b in Buffers)
        {
            if (b.First <= step && step <= b.Last)
            {
                Array.Fill(live, true, b.Offset, (int)b.Floats);
            }
        }

        for (int i = 0; i < live.Length; i++)
        {
            if (!live[i])
            {
                _arena.Data[i] = float.NaN;
            }
        }
    }

    // Steps of the timeline: forward of op i at i, the loss at L, backward of op i at 2L − i, the update at 2L + 1.
    private static int Fwd(int i) => i;

    private int LossStep => _ops.Length;

    private int Bwd(int i) => (2 * _ops.Length) - i;

    private int UpdateStep => (2 * _ops.Length) + 1;

    private void Plan(int maxBatch)
    {
        var planner = new GreedyMemoryPlanner();
        var ids = new List<(int Id, string Name, long Floats, int First, int Last, Action<int> Set)>();
        void Add(string name, long floats, int first, int last, Action<int> set)
        {
            if (floats > 0)
            {
                ids.Add((planner.Add(floats * sizeof(float), first, last), name, floats, first, last, set));
            }
        }

        // Activations: alive from the producer's forward to the last read (a consumer's forward, the loss,
        // or a backward that reads x or y); aliases (reshape) merge into their root.
        int n = _ops.Length;
        var first = new Dictionary<int, int>();
        var last = new Dictionary<int, int>();
        void Touch(ValueSlot v, int step)
        {
            first[v.Root] = Math.Min(first.GetValueOrDefault(v.Root, step), step);
            last[v.Root] = Math.Max(last.GetValueOrDefault(v.Root, step), step);
        }

        Touch(_input, 0);
        for (int i = 0; i < n; i++)
        {
            var op = _ops[i];
            Touch(op.X, Fwd(i));
            Touch(op.Y, Fwd(i));
            if (i >= _lowest)
            {
                if (op.NeedsX)
                {
                    Touch(op.X, Bwd(i));
                }

                if (op.NeedsY)
                {
                    Touch(op.Y, Bwd(i));
                }
            }
        }

        // The input and the output stay through the whole step: what a caller wrote (or reads after the step) is kept.
        Touch(_input, UpdateStep);
        Touch(_output, UpdateStep);
        foreach (var (root, f) in first)
        {
            long floats = ValueSlot.LargestOfRoot(Values, root, maxBatch, inBytes: false);
            Add($"value {Values[root].Info.Name}", floats, f, last[root], off => _arena.ValueAt[root] = off);
        }

        // Gradients of values: the gradient of op i's output is written by op i+1's backward (or the loss)
        // and read by op i's backward; nothing below the lowest trainable operator has one.
        var gFirst = new Dictionary<int, int>();
        var gLast = new Dictionary<int, int>();
        for (int i = _lowest; i < n; i++)
        {
            var y = _ops[i].Y;
            int made = i == n - 1 ? LossStep : Bwd(i + 1);
            gFirst[y.Root] = Math.Min(gFirst.GetValueOrDefault(y.Root, made), made);
            gLast[y.Root] = Math.Max(gLast.GetValueOrDefault(y.Root, Bwd(i)), Bwd(i));
        }

        foreach (var (root, f) in gFirst)
        {
            long floats = ValueSlot.LargestOfRoot(Values, root, maxBatch, inBytes: false);
            Add($"gradient of {Values[root].Info.Name}", floats, f, gLast[root], off => _arena.GradAt[root] = off);
        }

        // Scratch of each operator, forward and backward apart.
        for (int i = 0; i < n; i++)
        {
            int op = _ops[i].Index;   // the train ops address their scratch by graph index (a frozen body comes first)
            Add($"scratch of op {i} (forward)", _ops[i].ForwardScratchFloats(maxBatch), Fwd(i), Fwd(i), off => _arena.ForwardScratchAt[op] = off);
            if (i >= _lowest)
            {
                Add($"scratch of op {i} (backward)", _ops[i].BackwardScratchFloats(maxBatch), Bwd(i), Bwd(i), off => _arena.BackwardScratchAt[op] = off);
            }
        }

        // The loss: targets (written before the step), per-row losses and their gradients, the softmax of logits.
        int rows = ForwardOnly ? 0 : maxBatch * (_output.SampleElements / _classes);
        Add("targets", ForwardOnly ? 0 : (long)maxBatch * TargetSampleSize, 0, UpdateStep, off => _targetsAt = off);
        Add("row losses", rows, LossStep, LossStep, off => _rowLossAt = off);
        Add("row loss gradients", rows, LossStep, LossStep, off => _rowGradAt = off);
        if (Options.Loss == TrainingLoss.SparseCategoricalCrossentropy && !_fromProbabilities && !ForwardOnly)
        {
            Add("softmax of the logits", (long)rows * _classes, LossStep, LossStep, off => _probsAt = off);
        }

        if (Options.Loss == TrainingLoss.Huber && !ForwardOnly)
        {
            Add("huber scratch", _classes, LossStep, LossStep, off => _lossScratchAt = off);
        }

        // Weights live throughout; a gradient from its backward to the update; optimizer state throughout.
        foreach (var p in Params)
        {
            var q = p;
            Add($"weights {p.Name}", p.Length, 0, UpdateStep, off => q.Value = off);
        }

        for (int i = 0; i < n; i++)
        {
            foreach (var p in _ops[i].Params)
            {
                if (!p.Trainable)
                {
                    continue;
                }

                var q = p;
                Add($"gradient of {p.Name}", p.Length, Bwd(i), UpdateStep, off => q.Grad = off);
                if (Options.Optimizer == TrainingOptimizer.Adam || Options.Momentum > 0)
                {
                    Add($"{(Options.Optimizer == TrainingOptimizer.Adam ? "adam m" : "velocity")} of {p.Name}", p.Length, 0, UpdateStep, off => q.Slot0 = off);
                }

                if (Options.Optimizer == TrainingOptimizer.Adam)
                {
                    Add($"adam v of {p.Name}", p.Length, 0, UpdateStep, off => q.Slot1 = off);
                }
            }
        }

        var (offsets, size) = planner.Plan();
        if (size / sizeof(float) > Array.MaxLength)
        {
            throw new RuntimeModelException($"{_blob.FileName}: training at batch {maxBatch} needs {size:N0} bytes of arena; lower MaxBatch");
        }

        foreach (var (id, name, floats, f, l, set) in ids)
        {
            int off = (int)(offsets[id] / sizeof(float));
            set(off);
            Buffers.Add((name, off, floats, f, l));
        }

        ArenaBytes = size;
        UnsharedBytes = planner.TotalBytes;
        _arena.Data = GC.AllocateArray<float>((int)(size / sizeof(float)), pinned: true);
    }
}
