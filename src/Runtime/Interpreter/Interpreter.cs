using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Ops;
using EdgeNet.Runtime.Planning;
using EdgeNet.Runtime.Threading;

namespace EdgeNet.Runtime;

/// <summary>
/// Runs an .enb blob: memory-maps it, prepares one kernel per operator (reference or SIMD), plans
/// every activation and scratch buffer into one arena before the first run, and then
/// <see cref="Invoke"/> only computes. Everything that can be wrong with a blob is reported at
/// <see cref="Load"/>; Invoke allocates nothing.
/// </summary>
public sealed unsafe partial class Interpreter : IDisposable
{
    private readonly BlobReader _blob;
    private readonly OpKernel[] _kernels;
    private readonly long[] _scratchOffsets;
    private readonly Arena[] _arenas;       // one per thread when batches run in sub-batches, else one
    private readonly byte* _arena;          // _arenas[0]: every batch up to SubBatch runs here
    private readonly Arena? _stagedInput;   // [MaxBatch, input sample] when SubBatch < MaxBatch
    private readonly Arena? _stagedOutput;  // [MaxBatch, output sample] when SubBatch < MaxBatch
    private readonly SubBatchWork? _subBatches;
    private readonly WorkerPool _pool;
    private readonly ValueSlot _input;
    private readonly ValueSlot _output;

    private Interpreter(BlobReader blob, InterpreterOptions options)
    {
        _blob = blob;
        Options = options;
        var g = blob.Graph ?? throw new RuntimeModelException($"{blob.FileName}: the blob has weights but no graph; export it with 'edgenet-train export'");
        if (options.MaxBatch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxBatch must be at least 1");
        }

        if (g.Inputs.Count != 1 || g.Outputs.Count != 1)
        {
            throw new RuntimeModelException($"{blob.FileName}: the graph has {g.Inputs.Count} inputs and {g.Outputs.Count} outputs; this runtime runs single-input, single-output models");
        }

        Values = ValueSlot.ForGraph(g);
        _input = Values[g.Inputs[0]];
        _output = Values[g.Outputs[0]];
        int operators = g.Operators.Count;
        if (options.OutputValue is { } stop)
        {
            // Only the operators up to the one producing that value run; it becomes the output.
            int producer = -1;
            for (int i = 0; i < g.Operators.Count && producer < 0; i++)
            {
                producer = g.Values[g.Operators[i].Outputs[0]].Name == stop ? i : -1;
            }

            if (producer < 0)
            {
                throw new RuntimeModelException($"{blob.FileName}: InterpreterOptions.OutputValue '{stop}' is not produced by any operator of the graph");
            }

            operators = producer + 1;
            _output = Values[g.Operators[producer].Outputs[0]];
        }
        // Operators size their work by the batch; a value with a fixed leading size among batched ones
        // (or the reverse) would make one read or write past another's buffer.
        foreach (var v in Values)
        {
            if (v.HasBatch != _input.HasBatch)
            {
                throw new RuntimeModelException($"{blob.FileName}: value '{v.Info.Name}' {v.Info.ShapeText} {(_input.HasBatch ? "lacks" : "has")} the batch axis (dims[0] = -1) that the input '{_input.Info.Name}' {_input.Info.ShapeText} {(_input.HasBatch ? "has" : "lacks")}; all values of a graph must agree");
            }
        }

        if (_input.Info.Type != ElementType.F32 || _output.Info.Type != ElementType.F32)
        {
            throw new RuntimeModelException($"{blob.FileName}: model input and output must be f32 (quantized models quantize and dequantize inside the graph)");
        }

        _pool = new WorkerPool(options.Threads, options.SplitEveryCall ? 0 : WorkerPool.MinParallelMacs);
        var ctx = new PrepareContext(blob, Values, options, _pool);
        _kernels = new OpKernel[operators];
        for (int i = 0; i < _kernels.Length; i++)
        {
            _kernels[i] = Create(g.Operators[i], i, ctx);
            if (_kernels[i].AliasesInput)
            {
                Values[g.Operators[i].Outputs[0]].Root = Values[g.Operators[i].ValueInputs()[0].Index].Root;
            }
        }

        PlanDepthFirst(g, options);
        bool reentrant = Array.TrueForAll(_kernels, k => k.Reentrant);
        SubBatch = ChooseSubBatch(options, reentrant);
        var plan = PlanArena(SubBatch);
        foreach (var v in Values)
        {
            v.Offset = plan.ValueOffsets.TryGetValue(v.Root, out long o) ? o : 0;
        }

        _scratchOffsets = plan.ScratchOffsets;
        // Batches above the sub-batch run in pieces, each thread on its own arena (same plan, same offsets); the
        // whole batch's input and output are staged outside them.
        int arenas = SubBatch < options.MaxBatch ? _pool.Threads : 1;
        _arenas = new Arena[arenas];
        for (int t = 0; t < arenas; t++)
        {
            _arenas[t] = new Arena(plan.Bytes);
        }

        _arena = _arenas[0].Pointer;
        if (SubBatch < options.MaxBatch)
        {
            _stagedInput = new Arena(_input.Bytes(options.MaxBatch));
            _stagedOutput = new Arena(_output.Bytes(options.MaxBatch));
            _subBatches = new SubBatchWork(this);
        }

        ArenaBytes = (plan.Bytes * arenas) + (_stagedInput?.Bytes ?? 0) + (_stagedOutput?.Bytes ?? 0);
        UnsharedBytes = (plan.Unshared * arenas) + (_stagedInput?.Bytes ?? 0) + (_stagedOutput?.Bytes ?? 0);
    }

    /// <summary>The options the interpreter was planned with.</summary>
    public InterpreterOptions Options { get; }

    internal IReadOnlyList<ValueSlot> Values { get; }

    /// <summary>The prepared operators, in graph order (tests look at which kernels a layer chose).</summary>
    internal IReadOnlyList<OpKernel> Kernels => _kernels;

    /// <summary>The memory-mapped blob: its metadata (<see cref="BlobReader.GetMetadata(string)"/>), graph and weights.</summary>
    public BlobReader Blob => _blob;

    /// <summary>Bytes of every planned buffer: the arena (all activations and scratch at <see cref="SubBatch"/>), once per thread when batches run in sub-batches, and the staged input and output.</summary>
    public long ArenaBytes { get; }

    /// <summary>What the buffers would take without sharing (the planner's saving is the difference to <see cref="ArenaBytes"/>).</summary>
    public long UnsharedBytes { get; }

    /// <summary>
    /// The batch the arena is planned for: a larger batch (up to MaxBatch) runs in pieces of at most this many samples,
    /// each thread taking whole pieces on its own arena (<see cref="InterpreterOptions.SubBatch"/>).
    /// </summary>
    public int SubBatch { get; }

    /// <summary>How many values one input sample is (e.g. 784 for a 28×28×1 image).</summary>
    public int InputSampleSize => _input.SampleElements;

    /// <summary>How many values one output sample is (e.g. 10 class probabilities).</summary>
    public int OutputSampleSize => _output.SampleElements;

    /// <summary>Loads and prepares a blob; every problem with it is reported here.</summary>
    public static Interpreter Load(string path, InterpreterOptions? options = null)
    {
        options ??= new InterpreterOptions();
        var blob = BlobReader.Open(path, new BlobReadOptions { VerifyTensorHashes = options.VerifyTensorHashes });
        try
        {
            return new Interpreter(blob, options);
        }
        catch
        {
            blob.Dispose();
            throw;
        }
    }

    private static OpKernel Create(OperatorDef op, int i, PrepareContext ctx) => op.Opcode switch
    {
        Opcode.Dense => new DenseOp(op, i, ctx),
        Opcode.Conv2D when DenseOp.IsPointwise(op, ctx.Blob) => new DenseOp(op, i, ctx),
        Opcode.Conv2D => new Conv2DOp(op, i, ctx),
        Opcode.MaxPool2D => new MaxPool2DOp(op, i, ctx),
        Opcode.DepthwiseConv2D => new DepthwiseConv2DOp(op, i, ctx),
        Opcode.Add => new AddOp(op, i, ctx),
        Opcode.AvgPool2D or Opcode.GlobalAvgPool2D => new AvgPool2DOp(op, i, ctx),
        Opcode.Reshape or Opcode.Flatten => new ReshapeOp(op, i, ctx),
        Opcode.Relu or Opcode.Tanh or Opcode.Sigmoid or Opcode.Softmax or Opcode.HardSigmoid or Opcode.HardSwish or Opcode.Silu => new ActivationOp(op, i, ctx),
        Opcode.Mul => new MulOp(op, i, ctx),
        Opcode.Concat or Opcode.ChannelSlice or Opcode.ChannelShuffle => new ChannelsOp(op, i, ctx),
        Opcode.Quantize or Opcode.Dequantize => new QuantizeOp(op, i, ctx),
        Opcode.OneHot => new OneHotOp(op, i, ctx),
        Opcode.Embedding => new EmbeddingOp(op, i, ctx),
        Opcode.Lstm => new LstmOp(op, i, ctx),
        _ => throw new RuntimeModelException($"{ctx.Blob.FileName}: operator {i} is {op.Opcode}, which this runtime does not implement; update EdgeNet or export without it"),
    };

    /// <summary>
    /// The input buffer for <paramref name="batch"/> samples: the first samples of one buffer whatever the batch (the
    /// arena's input value, or the staged input when batches can run in sub-batches). An Invoke may overwrite it (later
    /// operators reuse the arena's bytes once the first has read them): write the input before each call.
    /// </summary>
    public Span<float> Input(int batch = 1) => new((float*)InputBase, CheckBatch(batch) * _input.SampleElements);

    /// <summary>The output of the last <see cref="Invoke"/> for <paramref name="batch"/> samples (the first samples of one buffer, as <see cref="Input"/>).</summary>
    public ReadOnlySpan<float> Output(int batch = 1) => new((float*)OutputBase, CheckBatch(batch) * _output.SampleElements);

    private byte* InputBase => _stagedInput is { } s ? s.Pointer : _arena + _input.Offset;

    private byte* OutputBase => _stagedOutput is { } s ? s.Pointer : _arena + _output.Offset;

    private int CheckBatch(int batch) =>
        batch >= 1 && batch <= Options.MaxBatch ? batch : throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be 1..{Options.MaxBatch} (the MaxBatch this interpreter was planned for)");

    /// <summary>
    /// The greedy action of a Q-network (or the top class of a classifier) for one sample: <paramref name="input"/> in,
    /// one invocation at batch 1, the index of the largest output. Allocates nothing.
    /// </summary>
    public int ArgMax(ReadOnlySpan<float> input)
    {
        input.CopyTo(Input(1));
        Invoke(1);
        return System.Numerics.Tensors.TensorPrimitives.IndexOfMax(Output(1));
    }

    /// <summary>How many operators the graph runs.</summary>
    public int OperatorCount => _kernels.Length;

    /// <summary>
    /// Replaces a float weight (a Dense or Conv2D kernel or bias, by its tensor name) with new values in place:
    /// a policy learned on the board acts through this interpreter from the next <see cref="Invoke"/>. Call it
    /// between Invokes; allocates nothing. int8 layers cannot take new weights (re-quantize the blob instead).
    /// </summary>
    public void UpdateWeight(string name, ReadOnlySpan<float> values)
    {
        int tensor = _blob.FindTensor(name);
        bool loaded = false;
        for (int i = 0; i < _kernels.Length && tensor >= 0; i++)
        {
            loaded |= _kernels[i].Floats?.Reload(tensor, values) == true;
        }

        if (!loaded)
        {
            throw new ArgumentException($"{_blob.FileName}: '{name}' is not the float kernel or bias of a Dense or Conv2D here (int8 layers cannot take new weights: re-quantize the blob)", nameof(name));
        }
    }

    /// <summary>Frees the arena and unmaps the blob; the spans handed out before are invalid after this.</summary>
    public void Dispose()
    {
        _pool.Dispose();
        _blob.Dispose();
    }
}
