using System.Numerics.Tensors;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Formats.Schemes;
using EdgeNet.Kernels.Optim;
using EdgeNet.Runtime.Planning;
using EdgeNet.Runtime.Training.Ops;
using Ref = EdgeNet.Kernels.Reference;
using Simd = EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Training;

/// <summary>
/// Trains a float blob on the board. At creation it checks the graph, chooses what learns, derives the
/// backward pass (stopping at the lowest trainable layer: nothing below it computes a gradient) and plans
/// the activations kept for backward, the gradients, the scratch, the weights and the optimizer state
/// into one arena by their lifetimes over forward + backward (the inference interpreter's greedy planner).
/// A <see cref="Step"/> then only computes: forward, loss, backward, a finiteness check, optional
/// clipping, the optimizer update; it allocates nothing (with <see cref="TrainingOptions.Threads"/> = 1).
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private readonly BlobReader _blob;
    private readonly TrainOp[] _ops;
    private readonly TrainParam[] _trainable;
    private readonly int _lowest;             // the lowest operator that runs backward
    private readonly TrainArena _arena;
    private readonly ValueSlot _input;
    private readonly ValueSlot _output;
    private readonly bool _simd;
    private readonly bool _fromProbabilities; // CE after the graph's own softmax
    private readonly int _classes;            // the output's last dim
    private readonly double[] _norms;
    private int _targetsAt;
    private int _rowLossAt;
    private int _rowGradAt;
    private int _probsAt;
    private int _lossScratchAt;

    private TrainingSession(BlobReader blob, TrainingOptions options)
    {
        options.Check();
        _blob = blob;
        Options = options;
        _simd = options.Variant == KernelVariant.Simd;
        string file = blob.FileName;
        var g = blob.Graph ?? throw new RuntimeModelException($"{file}: the blob has weights but no graph; export it with 'edgenet-train export'");
        if (g.Inputs.Count != 1 || g.Outputs.Count != 1 || g.Operators.Count == 0)
        {
            throw new RuntimeModelException($"{file}: the graph has {g.Inputs.Count} inputs, {g.Outputs.Count} outputs and {g.Operators.Count} operators; training runs single-input, single-output models");
        }

        var values = ValueSlot.ForGraph(g);
        Values = values;
        _input = Values[g.Inputs[0]];
        _output = Values[g.Outputs[0]];
        if (!_input.HasBatch || !Array.TrueForAll(values, v => v.HasBatch))
        {
            throw new RuntimeModelException($"{file}: every value needs the batch axis (dims[0] = -1) to train on batches");
        }

        // The recurrent model's first problem is its LSTM, whatever feeds it: say that first.
        int lstmAt = -1;
        for (int i = 0; i < g.Operators.Count && lstmAt < 0; i++)
        {
            lstmAt = g.Operators[i].Opcode == Opcode.Lstm ? i : -1;
        }

        if (lstmAt >= 0)
        {
            _ = Create(g.Operators[lstmAt], lstmAt, blob, Values);
        }

        // A chain: each operator reads the previous one's output (the first reads the graph input).
        _ops = new TrainOp[g.Operators.Count];
        for (int i = 0; i < _ops.Length; i++)
        {
            _ops[i] = Create(g.Operators[i], i, blob, Values);
            var expected = i == 0 ? _input : _ops[i - 1].Y;
            if (_ops[i].X != expected)
            {
                throw new RuntimeModelException($"{file}: operator {i} ({g.Operators[i].Opcode}) reads '{_ops[i].X.Info.Name}', not the previous output '{expected.Info.Name}'; training runs chains (sequential models)");
            }

            if (_ops[i].Aliases)
            {
                _ops[i].Y.Root = _ops[i].X.Root;
            }
        }

        if (_ops[^1].Y != _output)
        {
            throw new RuntimeModelException($"{file}: the last operator does not write the graph output '{_output.Info.Name}'");
        }

        // What learns.
        var weighted = Array.FindAll(_ops, o => o.HasWeights);
        if (weighted.Length == 0)
        {
            throw new RuntimeModelException($"{file}: the graph has no layer with weights: nothing can learn");
        }

        var chosen = LayerSelection.Parse(options.Layers, Array.ConvertAll(weighted, o => o.Layer), file);
        foreach (var op in weighted)
        {
            foreach (var p in op.Params)
            {
                p.Trainable = chosen.Contains(op.Layer);
            }
        }

        var all = new List<TrainParam>();
        foreach (var op in _ops)
        {
            all.AddRange(op.Params);
        }

        Params = all;
        _trainable = all.FindAll(p => p.Trainable).ToArray();
        _lowest = Array.FindIndex(_ops, o => o.Trainable) is var low and >= 0 ? low : _ops.Length;   // none: forward only
        TrainableLayers = Array.ConvertAll(Array.FindAll(weighted, o => o.Trainable), o => o.Layer);
        _norms = new double[_trainable.Length];

        // The loss over the output.
        _classes = _output.SampleDim(_output.SampleRank - 1);
        _fromProbabilities = _ops[^1] is ActivationTrainOp { IsSoftmax: true };
        if (options.Loss == TrainingLoss.SparseCategoricalCrossentropy && _classes < 2)
        {
            throw new ArgumentException($"TrainingOptions.Loss: sparse categorical cross-entropy needs at least 2 classes; {file}'s output {_output.Info.ShapeText} has {_classes} (use MeanSquaredError or Huber for regression)");
        }

        _arena = new TrainArena(Values.Count, _ops.Length);
        Plan(options.MaxBatch);
        foreach (var p in Params)
        {
            p.Initial.CopyTo(_arena.Param(p));
            p.Initial = [];
        }
    }

    /// <summary>The options the session was planned with.</summary>
    public TrainingOptions Options { get; }

    internal IReadOnlyList<ValueSlot> Values { get; }

    /// <summary>Every weight tensor, in graph order; <see cref="TrainParam.Trainable"/> tells which learn.</summary>
    internal IReadOnlyList<TrainParam> Params { get; }

    /// <summary>The names of the layers that learn.</summary>
    public IReadOnlyList<string> TrainableLayers { get; }

    /// <summary>Nothing learns (<c>Layers = "none"</c>): only <see cref="Forward"/> runs; no gradient or loss buffer is planned.</summary>
    public bool ForwardOnly => _trainable.Length == 0;

    /// <summary>Bytes of the planned arena (everything a step touches at MaxBatch).</summary>
    public long ArenaBytes { get; private set; }

    /// <summary>What the buffers would take without sharing.</summary>
    public long UnsharedBytes { get; private set; }

    /// <summary>Optimizer steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>The mean loss of the last step (or gradient computation).</summary>
    public float LastLoss { get; private set; } = float.NaN;

    /// <summary>How many values one input sample is.</summary>
    public int InputSampleSize => _input.SampleElements;

    /// <summary>How many values one output sample is.</summary>
    public int OutputSampleSize => _output.SampleElements;

    /// <summary>Per sample: 1 label (sparse cross-entropy; a class index as a float) or the output's size (MSE, Huber).</summary>
    public int TargetSampleSize => Options.Loss switch
    {
        TrainingLoss.SparseCategoricalCrossentropy => _output.SampleElements / _classes,
        TrainingLoss.HuberAtAction => 2 * (_output.SampleElements / _classes),
        _ => _output.SampleElements,
    };

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

    /// <summary>Opens an f32 blob (<c>edgenet-train export --quantize f32</c>) for training on the board and plans its arena: forward, backward and optimizer buffers for <see cref="TrainingOptions.MaxBatch"/>.</summary>
    /// <exception cref="Formats.Enb.EnbFormatException">The blob is corrupt (the message names the field).</exception>
    /// <exception cref="RuntimeModelException">The blob is quantized, or an operator cannot be trained; the message says which and how to export a trainable blob.</exception>
    public static TrainingSession Load(string path, TrainingOptions? options = null)
    {
        options ??= new TrainingOptions();
        var blob = BlobReader.Open(path, new BlobReadOptions { VerifyTensorHashes = options.VerifyTensorHashes });
        try
        {
            return new TrainingSession(blob, options);
        }
        catch
        {
            blob.Dispose();
            throw;
        }
    }

    private static TrainOp Create(OperatorDef op, int i, BlobReader blob, IReadOnlyList<ValueSlot> values) => op.Opcode switch
    {
        Opcode.Dense => new DenseTrainOp(op, i, blob, values),
        Opcode.Conv2D => new Conv2DTrainOp(op, i, blob, values),
        Opcode.MaxPool2D => new MaxPool2DTrainOp(op, i, blob, values),
        Opcode.Reshape or Opcode.Flatten => new ReshapeTrainOp(op, i, blob, values),
        Opcode.Relu or Opcode.Tanh or Opcode.Sigmoid or Opcode.Softmax => new ActivationTrainOp(op, i, blob, values),
        Opcode.Lstm => throw new RuntimeModelException($"{blob.FileName}: operator {i} is an LSTM; its backward (through time, over the fused cell) is not on the board yet: fine-tune it on the host with edgenet-train"),
        Opcode.Quantize or Opcode.Dequantize => throw new RuntimeModelException($"{blob.FileName}: operator {i} is {op.Opcode}: an int8 blob cannot learn; fine-tune the f32 or f16 export and re-quantize"),
        _ => throw new RuntimeModelException($"{blob.FileName}: operator {i} is {op.Opcode}, which training on the board does not implement"),
    };

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
            int op = i;
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

    private int CheckBatch(int batch) =>
        batch >= 1 && batch <= Options.MaxBatch ? batch : throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be 1..{Options.MaxBatch} (the MaxBatch this session was planned for)");

    /// <summary>Where the next step's inputs go: <paramref name="batch"/> samples, as the graph input takes them (kept until overwritten).</summary>
    public Span<float> Input(int batch) => _arena.Value(_input, CheckBatch(batch));

    /// <summary>Where the next step's targets go (see <see cref="TargetSampleSize"/>; kept until overwritten).</summary>
    public Span<float> Targets(int batch) =>
        ForwardOnly ? throw new InvalidOperationException("a forward-only session takes no targets") : _arena.Data.AsSpan(_targetsAt, CheckBatch(batch) * TargetSampleSize);

    /// <summary>
    /// Copies every weight of <paramref name="source"/> (a session over the same graph) into this one: a DQN's
    /// target ← online, or the actor's refresh. Allocates nothing.
    /// </summary>
    public void CopyWeightsFrom(TrainingSession source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Params.Count != Params.Count)
        {
            throw new ArgumentException($"{source._blob.FileName} has {source.Params.Count} weight tensors; {_blob.FileName} has {Params.Count}", nameof(source));
        }

        for (int i = 0; i < Params.Count; i++)
        {
            var (from, to) = (source.Params[i], Params[i]);
            if (from.Length != to.Length)
            {
                throw new ArgumentException($"weight {i}: '{from.Name}' holds {from.Length} values, '{to.Name}' {to.Length}", nameof(source));
            }

            source._arena.Param(from).CopyTo(_arena.Param(to));
        }
    }

    /// <summary>The output of the last forward pass (or step: the predictions before its update).</summary>
    public ReadOnlySpan<float> Output(int batch) => _arena.Value(_output, CheckBatch(batch));

    /// <summary>A weight tensor's current values.</summary>
    public ReadOnlySpan<float> Weight(string name) => _arena.Param(Param(name));

    /// <summary>A trainable weight's gradient from the last <see cref="ComputeGradients"/> or <see cref="Step"/> (before clipping).</summary>
    public ReadOnlySpan<float> Gradient(string name)
    {
        var p = Param(name);
        return p.Trainable ? _arena.ParamGrad(p) : throw new ArgumentException($"'{name}' is frozen: it has no gradient (trainable: {string.Join(", ", TrainableLayers)})", nameof(name));
    }

    private TrainParam Param(string name)
    {
        var all = Params;
        for (int i = 0; i < all.Count; i++)
        {
            if (all[i].Name == name)
            {
                return all[i];
            }
        }

        var names = new string[all.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = all[i].Name;
        }

        throw new ArgumentException($"no weight named '{name}'; the weights are {string.Join(", ", names)}", nameof(name));
    }

    /// <summary>Runs the forward pass on the first <paramref name="batch"/> samples of <see cref="Input"/>.</summary>
    public void Forward(int batch)
    {
        CheckBatch(batch);
        using var cap = new Simd.Gemm.ThreadCapScope(Options.Threads);
        for (int i = 0; i < _ops.Length; i++)
        {
            Poison(Fwd(i));
            _ops[i].Forward(_arena, batch, _simd);
        }
    }

    /// <summary>Forward, loss and backward: fills the trainable weights' gradients; returns the mean loss. Changes no weight.</summary>
    public float ComputeGradients(int batch)
    {
        if (ForwardOnly)
        {
            throw new InvalidOperationException($"{_blob.FileName}: this session was made with Layers = \"none\" (forward only); nothing can learn in it");
        }

        Forward(batch);
        using var cap = new Simd.Gemm.ThreadCapScope(Options.Threads);
        Poison(LossStep);
        LastLoss = LossAndGradient(batch);
        for (int i = _ops.Length - 1; i >= _lowest; i--)
        {
            Poison(Bwd(i));
            _ops[i].Backward(_arena, batch, _simd, needDx: i > _lowest);
        }

        Poison(UpdateStep);

        return LastLoss;
    }

    /// <summary>
    /// One optimizer step on the first <paramref name="batch"/> samples of <see cref="Input"/> and <see cref="Targets"/>;
    /// returns the mean loss before the update. A NaN or infinite gradient throws <see cref="NonFiniteGradientException"/> and changes nothing.
    /// </summary>
    public float Step(int batch)
    {
        float loss = ComputeGradients(batch);
        ApplyGradients();
        return loss;
    }

    private float LossAndGradient(int batch)
    {
        int rows = _output.Elements(batch) / _classes;
        var y = _arena.Value(_output, batch);
        var dy = _arena.Grad(_output, batch);
        var loss = _arena.Data.AsSpan(_rowLossAt, rows);
        var dloss = _arena.Data.AsSpan(_rowGradAt, rows);
        var t = Targets(batch);
        dloss.Fill(1f / rows);   // d(mean)/d(row loss)
        switch (Options.Loss)
        {
            case TrainingLoss.SparseCategoricalCrossentropy:
                var probs = _fromProbabilities ? default : _arena.Data.AsSpan(_probsAt, rows * _classes);
                if (_simd)
                {
                    Simd.Losses.SparseCrossEntropy(y, t, loss, probs, rows, _classes, !_fromProbabilities, Options.Epsilon);
                    Simd.Losses.SparseCrossEntropyBackward(y, probs, t, dloss, dy, rows, _classes, !_fromProbabilities, Options.Epsilon);
                }
                else
                {
                    Ref.Losses.SparseCrossEntropy(y, t, loss, probs, rows, _classes, !_fromProbabilities, Options.Epsilon);
                    Ref.Losses.SparseCrossEntropyBackward(y, probs, t, dloss, dy, rows, _classes, !_fromProbabilities, Options.Epsilon);
                }

                break;
            case TrainingLoss.MeanSquaredError:
                if (_simd)
                {
                    Simd.Losses.MeanSquaredError(y, t, loss, rows, _classes);
                    Simd.Losses.MeanSquaredErrorBackward(y, t, dloss, dy, rows, _classes);
                }
                else
                {
                    Ref.Losses.MeanSquaredError(y, t, loss, rows, _classes);
                    Ref.Losses.MeanSquaredErrorBackward(y, t, dloss, dy, rows, _classes);
                }

                break;
            case TrainingLoss.HuberAtAction:
                // A gather and a clamp per row: nothing for vectors to do, one kernel serves both variants.
                Ref.Losses.HuberAtAction(y, t, loss, rows, _classes, Options.HuberDelta);
                Ref.Losses.HuberAtActionBackward(y, t, dloss, dy, rows, _classes, Options.HuberDelta);
                break;
            default:
                if (_simd)
                {
                    Simd.Losses.Huber(y, t, loss, rows, _classes, Options.HuberDelta, _arena.Data.AsSpan(_lossScratchAt, _classes));
                    Simd.Losses.HuberBackward(y, t, dloss, dy, rows, _classes, Options.HuberDelta);
                }
                else
                {
                    Ref.Losses.Huber(y, t, loss, rows, _classes, Options.HuberDelta);
                    Ref.Losses.HuberBackward(y, t, dloss, dy, rows, _classes, Options.HuberDelta);
                }

                break;
        }

        return TensorPrimitives.Sum<float>(loss) / rows;
    }

    /// <summary>Checks every gradient is finite, clips (Keras clipnorm / global_clipnorm) and updates the trainable weights.</summary>
    private void ApplyGradients()
    {
        double global = 0;
        for (int i = 0; i < _trainable.Length; i++)
        {
            var g = _arena.ParamGrad(_trainable[i]);
            double s = TensorPrimitives.SumOfSquares<float>(g);
            if (!double.IsFinite(s))
            {
                int bad = 0;
                foreach (float v in g)
                {
                    bad += float.IsFinite(v) ? 0 : 1;
                }

                // An infinite sum of squares from finite values is an overflow of float: recompute in double.
                if (bad == 0)
                {
                    s = 0;
                    foreach (float v in g)
                    {
                        s += (double)v * v;
                    }
                }
                else
                {
                    throw new NonFiniteGradientException(
                        $"{_blob.FileName}: the gradient of '{_trainable[i].Name}' has {bad} NaN or infinite values at step {Steps + 1}; no weight was changed. " +
                        "Fix: lower the learning rate, check the inputs and targets for NaN or out-of-range values, or set a clip norm");
                }
            }

            _norms[i] = s;
            global += s;
        }

        global = Math.Sqrt(global);
        Steps++;
        double t = Steps;
        float lrT = (float)(Options.LearningRate * Math.Sqrt(1 - Math.Pow(Options.Beta2, t)) / (1 - Math.Pow(Options.Beta1, t)));
        for (int i = 0; i < _trainable.Length; i++)
        {
            var p = _trainable[i];
            var g = _arena.ParamGrad(p);
            double scale = 1;
            if (Options.GlobalClipNorm is { } gc && global > gc)
            {
                scale = gc / global;
            }

            if (Options.ClipNorm is { } c && Math.Sqrt(_norms[i]) * scale > c)
            {
                scale = c / Math.Sqrt(_norms[i]);
            }

            if (scale != 1)
            {
                TensorPrimitives.Multiply(g, (float)scale, g);
            }

            if (Options.Optimizer == TrainingOptimizer.Adam)
            {
                OptimizerUpdates.Adam(_arena.Param(p), g, _arena.Slot(p, 0), _arena.Slot(p, 1), lrT, Options.Beta1, Options.Beta2, Options.Epsilon);
            }
            else
            {
                OptimizerUpdates.Sgd(_arena.Param(p), g, p.Slot0 >= 0 ? _arena.Slot(p, 0) : default, Options.LearningRate, Options.Momentum, Options.Nesterov);
            }
        }
    }

    /// <summary>
    /// Writes the weights as a new blob at <paramref name="path"/> (atomically: an interrupted write leaves what
    /// was there) with the base blob's graph and metadata and the fine-tune's provenance. Frozen tensors keep
    /// their bytes; trained ones are written as f32.
    /// </summary>
    public void Save(string path, string data) => Writer(data).Write(path);

    /// <summary>The new blob's writer: the base blob with the trained tensors replaced and the provenance set.</summary>
    internal BlobWriter Writer(string data)
    {
        var w = BlobWriter.CopyOf(_blob);
        foreach (var p in _trainable)
        {
            w.ReplaceF32(p.Name, _arena.Param(p));
        }

        SetProvenance(w, data);
        bool allF32 = true;
        foreach (var p in Params)
        {
            allF32 &= p.Trainable || _blob.Tensors[p.TensorIndex].Type == ElementType.F32;
        }

        if (allF32)
        {
            w.SetMetadata(MetadataKeys.QuantizationScheme, "f32");
        }

        return w;
    }

    /// <summary>
    /// The forward pass over the first <paramref name="batch"/> samples of <see cref="Input"/>, widening each value's
    /// observed range (by the blob graph's value index): the calibration of an int8 re-quantization.
    /// </summary>
    public void Observe(int batch, Span<float> min, Span<float> max)
    {
        CheckBatch(batch);
        if (min.Length < Values.Count || max.Length < Values.Count)
        {
            throw new ArgumentException($"ranges for {Values.Count} values are needed; got {min.Length} and {max.Length}");
        }

        using var cap = new Simd.Gemm.ThreadCapScope(Options.Threads);
        Widen(_input, batch, min, max);
        for (int i = 0; i < _ops.Length; i++)
        {
            _ops[i].Forward(_arena, batch, _simd);
            Widen(_ops[i].Y, batch, min, max);
        }
    }

    private void Widen(ValueSlot v, int batch, Span<float> min, Span<float> max)
    {
        var x = _arena.Value(v, batch);
        min[v.Index] = Math.Min(min[v.Index], TensorPrimitives.Min<float>(x));
        max[v.Index] = Math.Max(max[v.Index], TensorPrimitives.Max<float>(x));
    }

    /// <summary>The session's graph with its current weights, as Formats' scheme builder takes it.</summary>
    internal FloatGraph ToFloatGraph()
    {
        var graph = _blob.Graph!;
        var f = new FloatGraph { Input = graph.Inputs[0], Output = graph.Outputs[0] };
        foreach (var v in graph.Values)
        {
            f.Values.Add((v.Name, Shapes.Copy(v.Dims)));
        }

        var weightOf = new Dictionary<int, int>();
        foreach (var p in Params)
        {
            weightOf[p.TensorIndex] = f.Weights.Count;
            f.Weights.Add(new FloatWeight(p.Name, Array.ConvertAll(Shapes.Copy(p.Dims), d => (int)d), _arena.Param(p).ToArray()));
        }

        for (int i = 0; i < _ops.Length; i++)
        {
            var op = graph.Operators[i];
            int[] weights = Array.ConvertAll(op.WeightInputs(), r => weightOf[r.Index]);
            f.Nodes.Add(new FloatNode(OperatorSchemas.Of(op.Opcode), [_ops[i].X.Index], weights, op.Outputs[0], op.Attributes, _ops[i].Layer));
        }

        return f;
    }

    /// <summary>
    /// The weights re-quantized to int8 (per-channel weights, activation ranges from <see cref="Observe"/> over
    /// <paramref name="samples"/> samples) as a new blob's writer, with the base blob's metadata and the fine-tune's
    /// provenance: the board acts in int8 after learning in float.
    /// </summary>
    internal BlobWriter Int8Writer(string data, float[] min, float[] max, int samples, bool floatInputLayer = false, bool floatOutputLayer = false)
    {
        var w = new BlobWriter(_blob.Header.Alignment);
        foreach (var (k, v) in _blob.Metadata)
        {
            if (!k.StartsWith("quantization.", StringComparison.Ordinal))
            {
                w.SetMetadata(k, v);
            }
        }

        w.SetMetadata(MetadataKeys.QuantizationVersion, EnbValue.U32(1));
        w.SetMetadata(MetadataKeys.QuantizationScheme, "int8");
        w.SetMetadata(MetadataKeys.QuantizationCalibration, $"minmax over {samples} samples, on the board after fine-tuning");
        if (floatInputLayer)
        {
            w.SetMetadata(MetadataKeys.FloatInputLayer, EnbValue.Bool(true));
        }

        if (floatOutputLayer)
        {
            w.SetMetadata(MetadataKeys.FloatOutputLayer, EnbValue.Bool(true));
        }

        SetProvenance(w, data);
        SchemeBuilder.Build(ToFloatGraph(), BlobScheme.Int8, min, max, w, floatInputLayer, floatOutputLayer);
        return w;
    }

    private void SetProvenance(BlobWriter w, string data)
    {
        w.SetMetadata(MetadataKeys.FineTuneBase, $"{Path.GetFileName(_blob.FileName)} xxh3:{BaseHash()}");
        w.SetMetadata(MetadataKeys.FineTuneSteps, EnbValue.I64(Steps));
        w.SetMetadata(MetadataKeys.FineTuneData, data);
        w.SetMetadata(MetadataKeys.FineTuneLoss, EnbValue.F32(LastLoss));
        w.SetMetadata(MetadataKeys.FineTuneLayers, string.Join(",", TrainableLayers));
        w.SetMetadata(MetadataKeys.FineTuneOptimizer, Options.OptimizerText);
    }

    private string BaseHash()
    {
        var h = new System.IO.Hashing.XxHash3();
        using (var s = File.OpenRead(_blob.FileName))
        {
            h.Append(s);
        }

        return Convert.ToHexStringLower(h.GetCurrentHash());
    }

    /// <summary>Frees the arena and unmaps the blob.</summary>
    public void Dispose() => _blob.Dispose();
}
