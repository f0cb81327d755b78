using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Formats.Schemes;
using EdgeNet.Runtime.Training.Ops;

namespace EdgeNet.Runtime.Training;

/// <summary>
/// Trains a float blob on the board. At creation it checks the graph, chooses what learns, derives the
/// backward pass (stopping at the lowest trainable layer: nothing below it computes a gradient) and plans
/// the activations kept for backward, the gradients, the scratch, the weights and the optimizer state
/// into one arena by their lifetimes over forward + backward (the inference interpreter's greedy planner).
/// A graph whose lower part the board cannot train (MobileNetV2's depthwise convolutions and residual adds)
/// learns its head: the operators below the lowest trainable layer are a frozen body run forward only by the
/// inference <see cref="Interpreter"/> (its kernels, its own arena, int8 impossible only for the head), and the
/// session trains the chain from there (TFLite's on-device personalization: a frozen base, a trainable head).
/// A <see cref="Step"/> then only computes: forward, loss, backward, a finiteness check, optional
/// clipping, the optimizer update; it allocates nothing (with <see cref="TrainingOptions.Threads"/> = 1).
/// </summary>
public sealed partial class TrainingSession : IDisposable
{
    private readonly BlobReader _blob;
    private readonly TrainOp[] _ops;
    private readonly Interpreter? _body;      // the frozen operators below the head, run by the inference interpreter
    private readonly int _first;              // the graph index of _ops[0]
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

        // What learns, by the weighted layers in graph order (a layer is named by its kernel tensor: 'dense_1/kernel').
        var weightedAt = new List<int>();
        var names = new List<string>();
        for (int i = 0; i < g.Operators.Count; i++)
        {
            var w = g.Operators[i].WeightInputs();
            if (w.Length > 0 && g.Operators[i].Opcode is not (Opcode.Quantize or Opcode.Dequantize))
            {
                weightedAt.Add(i);
                names.Add(LayerOf(blob.Tensors[w[0].Index].Name));
            }
        }

        if (weightedAt.Count == 0)
        {
            throw new RuntimeModelException($"{file}: the graph has no layer with weights: nothing can learn");
        }

        var chosen = LayerSelection.Parse(options.Layers, names, file);
        int lowestChosen = -1;
        for (int k = 0; k < weightedAt.Count && lowestChosen < 0; k++)
        {
            lowestChosen = chosen.Contains(names[k]) ? weightedAt[k] : -1;
        }

        // A recurrent model's first problem is its LSTM, whatever feeds it, when the LSTM is to learn or lies above what learns: say that first.
        for (int i = Math.Max(0, lowestChosen); i < g.Operators.Count; i++)
        {
            if (g.Operators[i].Opcode == Opcode.Lstm)
            {
                _ = Create(g.Operators[i], i, blob, values);
            }
        }

        // The whole graph as a chain the session trains; else, below a chosen layer, a frozen body and the chain above it.
        var problem = TryChain(g, 0, blob, values, out _ops);
        if (problem is not null)
        {
            if (lowestChosen <= 0 || TryChain(g, lowestChosen, blob, values, out _ops) is { } headProblem)
            {
                throw problem;
            }

            _first = lowestChosen;
            var features = _ops[0].X;
            try
            {
                _body = Interpreter.Load(blob.FileName, new InterpreterOptions { MaxBatch = options.MaxBatch, Variant = options.Variant, Threads = options.Threads, VerifyTensorHashes = false, OutputValue = features.Info.Name });
            }
            catch (RuntimeModelException e)
            {
                throw new RuntimeModelException($"{file}: the frozen layers below '{_ops[0].Layer}' cannot run here: {e.Message}", e);
            }

            _input = features;
        }

        if (_ops[^1].Y != _output)
        {
            throw new RuntimeModelException($"{file}: the last operator does not write the graph output '{_output.Info.Name}'");
        }

        foreach (var op in _ops)
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
        var trainableLayers = new List<string>();
        foreach (var op in _ops)
        {
            if (op.HasWeights && op.Trainable)
            {
                trainableLayers.Add(op.Layer);
            }
        }

        TrainableLayers = trainableLayers;
        _norms = new double[_trainable.Length];

        // The loss over the output.
        _classes = _output.SampleDim(_output.SampleRank - 1);
        _fromProbabilities = _ops[^1] is ActivationTrainOp { IsSoftmax: true };
        if (options.Loss == TrainingLoss.SparseCategoricalCrossentropy && _classes < 2)
        {
            throw new ArgumentException($"TrainingOptions.Loss: sparse categorical cross-entropy needs at least 2 classes; {file}'s output {_output.Info.ShapeText} has {_classes} (use MeanSquaredError or Huber for regression)");
        }

        _arena = new TrainArena(Values.Count, g.Operators.Count);
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
    public int InputSampleSize => _body?.InputSampleSize ?? _input.SampleElements;

    /// <summary>The frozen body's operators (run forward by the inference interpreter), 0 when the session trains the whole chain.</summary>
    public int FrozenOperators => _first;

    /// <summary>How many values one output sample is.</summary>
    public int OutputSampleSize => _output.SampleElements;

    /// <summary>Per sample: 1 label (sparse cross-entropy; a class index as a float) or the output's size (MSE, Huber).</summary>
    public int TargetSampleSize => Options.Loss switch
    {
        TrainingLoss.SparseCategoricalCrossentropy => _output.SampleElements / _classes,
        TrainingLoss.HuberAtAction => 2 * (_output.SampleElements / _classes),
        _ => _output.SampleElements,
    };

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

    /// <summary>The layer a weight tensor belongs to: 'dense_1/kernel' → 'dense_1' (as the train ops name theirs).</summary>
    private static string LayerOf(string tensor) => tensor.Contains('/', StringComparison.Ordinal) ? tensor[..tensor.LastIndexOf('/')] : tensor;

    /// <summary>
    /// The operators from <paramref name="from"/> to the end as train ops forming a chain (each reads the previous one's
    /// output; from 0 the first reads the graph input); the problem when one cannot be trained or the graph branches.
    /// </summary>
    private static RuntimeModelException? TryChain(GraphDef g, int from, BlobReader blob, ValueSlot[] values, out TrainOp[] ops)
    {
        ops = new TrainOp[g.Operators.Count - from];
        try
        {
            for (int k = 0; k < ops.Length; k++)
            {
                int i = from + k;
                ops[k] = Create(g.Operators[i], i, blob, values);
                var expected = k == 0 ? (from == 0 ? values[g.Inputs[0]] : ops[0].X) : ops[k - 1].Y;
                if (ops[k].X != expected)
                {
                    return new RuntimeModelException($"{blob.FileName}: operator {i} ({g.Operators[i].Opcode}) reads '{ops[k].X.Info.Name}', not the previous output '{expected.Info.Name}'; training runs chains (sequential models), or the chain above a frozen body (choose the layers with --layers last:K)");
                }

                if (ops[k].Aliases)
                {
                    ops[k].Y.Root = ops[k].X.Root;
                }
            }

            return null;
        }
        catch (RuntimeModelException e)
        {
            return e;
        }
    }

    private static TrainOp Create(OperatorDef op, int i, BlobReader blob, IReadOnlyList<ValueSlot> values) => op.Opcode switch
    {
        Opcode.Dense => new DenseTrainOp(op, i, blob, values),
        Opcode.Conv2D => new Conv2DTrainOp(op, i, blob, values),
        Opcode.MaxPool2D => new MaxPool2DTrainOp(op, i, blob, values),
        Opcode.AvgPool2D or Opcode.GlobalAvgPool2D => new AvgPool2DTrainOp(op, i, blob, values),
        Opcode.Reshape or Opcode.Flatten => new ReshapeTrainOp(op, i, blob, values),
        Opcode.Relu or Opcode.Tanh or Opcode.Sigmoid or Opcode.Softmax or Opcode.HardSigmoid or Opcode.HardSwish or Opcode.Silu => new ActivationTrainOp(op, i, blob, values),
        Opcode.Lstm => throw new RuntimeModelException($"{blob.FileName}: operator {i} is an LSTM; its backward (through time, over the fused cell) is not on the board yet: fine-tune it on the host with edgenet-train"),
        Opcode.Quantize or Opcode.Dequantize => throw new RuntimeModelException($"{blob.FileName}: operator {i} is {op.Opcode}: an int8 blob cannot learn; fine-tune the f32 or f16 export and re-quantize"),
        _ => throw new RuntimeModelException($"{blob.FileName}: operator {i} is {op.Opcode}, which training on the board does not implement"),
    };

    private int CheckBatch(int batch) =>
        batch >= 1 && batch <= Options.MaxBatch ? batch : throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be 1..{Options.MaxBatch} (the MaxBatch this session was planned for)");

    /// <summary>
    /// Where the next step's inputs go: <paramref name="batch"/> samples, as the graph input takes them. A step may
    /// overwrite them (a frozen body's interpreter reuses its input's bytes): write them before each step.
    /// </summary>
    public Span<float> Input(int batch) => _body is { } b ? b.Input(CheckBatch(batch)) : _arena.Value(_input, CheckBatch(batch));

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

    /// <summary>Frees the arena and unmaps the blob.</summary>
    public void Dispose()
    {
        _body?.Dispose();
        _blob.Dispose();
    }
}
