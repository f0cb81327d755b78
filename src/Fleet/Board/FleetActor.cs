using System.Diagnostics;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Rig.Environments;

namespace EdgeNet.Fleet.Board;

/// <summary>
/// A board in the fleet: acts with its current blob every tick (ε-greedy through the inference interpreter), records each
/// transition into the batch being written (no allocation per tick), hands full batches to the <see cref="Outbox"/> (never
/// waiting for the network), and swaps in an announced model between two ticks once the network's thread has checked and
/// loaded it (<see cref="Offer"/>). A batch holds one model's transitions: a swap ends the batch being written.
/// Sequences are (incarnation, index) (<see cref="FleetSequence"/>), the incarnation random per start.
/// </summary>
public sealed class FleetActor : IDisposable
{
    private readonly IEnvironment _env;
    private readonly FleetActorOptions _options;
    private readonly ModelSlot _slot;
    private readonly TransitionBatchWriter _writer;
    private readonly Random _rng;
    private readonly float[] _obs;
    private readonly float[] _next;
    private LoadedModel _model;
    private uint _index;

    /// <summary>Board <paramref name="board"/> acting in <paramref name="environment"/>, starting with the blob at <paramref name="model"/>.</summary>
    /// <exception cref="Runtime.RuntimeModelException">The blob is not a policy for this environment.</exception>
    public FleetActor(string board, IEnvironment environment, string model, FleetActorOptions? options = null, uint? incarnation = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        _env = environment;
        _options = options ?? new FleetActorOptions();
        if (_options.BatchTransitions < 1 || !(_options.Epsilon is >= 0 and <= 1))
        {
            throw new ArgumentException($"FleetActorOptions: a batch of {_options.BatchTransitions} transitions must hold at least 1, and epsilon {_options.Epsilon} lie in [0, 1]");
        }

        Board = board;
        Incarnation = incarnation ?? FleetSequence.NewIncarnation();
        _writer = new TransitionBatchWriter(board, environment.ObservationSize, _options.BatchTransitions);
        Outbox = new Outbox(board, _options.OutboxBatches);
        _slot = new ModelSlot(environment.ObservationSize, environment.ActionCount, _options);
        _model = _slot.LoadInitial(model);
        _rng = new Random(_options.Seed);
        _obs = new float[environment.ObservationSize];
        _next = new float[environment.ObservationSize];
    }

    /// <summary>The board's id.</summary>
    public string Board { get; }

    /// <summary>This start's incarnation (the high half of every sequence).</summary>
    public uint Incarnation { get; }

    /// <summary>Batches on their way to the broker.</summary>
    public Outbox Outbox { get; }

    /// <summary>The version of the model acting now (0: the blob the board started with).</summary>
    public uint ModelVersion => _model.Version;

    /// <summary>Ticks acted.</summary>
    public long Ticks { get; private set; }

    /// <summary>Episodes finished.</summary>
    public long Episodes { get; private set; }

    /// <summary>The last finished episode's return.</summary>
    public float LastReturn { get; private set; }

    /// <summary>Models swapped in.</summary>
    public long Swaps { get; private set; }

    /// <summary>Announcements refused (bad hash, cut, not a blob, not this environment's policy).</summary>
    public long Refused => _slot.Refused;

    /// <summary>Why the last announcement was refused.</summary>
    public string? LastRefusal => _slot.LastRefusal;

    /// <summary>The sequence of the last transition recorded (valid once <see cref="Ticks"/> &gt; 0).</summary>
    public ulong LastSequence => FleetSequence.Compose(Incarnation, _index - 1);

    /// <summary>The longest a swap took on the control loop (ending the batch, the reference exchange; the old model is released off the loop).</summary>
    public TimeSpan LongestSwap { get; private set; }

    /// <summary>Raised on the control loop after every episode.</summary>
    public event Action<FleetEpisode>? EpisodeEnded;

    /// <summary>Raised on the control loop when a model is swapped in (its version).</summary>
    public event Action<uint>? Swapped;

    /// <summary>
    /// An announcement's payload, from the network's thread: checked, written, loaded and checked against the environment
    /// here, then taken by the loop between two ticks. True when it is now pending; false when it is the model already
    /// acting or pending.
    /// </summary>
    /// <exception cref="FleetPayloadException">Refused (the message says why); the running model stays.</exception>
    public bool Offer(ReadOnlySpan<byte> announcement) => _slot.Offer(announcement);

    /// <summary>
    /// Acts for <paramref name="ticks"/> more ticks (the episode in progress at the end is finished first, unless
    /// <paramref name="cancel"/> fires: then the loop stops after the current tick), then hands the partial batch to the
    /// outbox.
    /// </summary>
    public void Run(long ticks, CancellationToken cancel = default)
    {
        long end = Ticks + ticks;
        try
        {
            while (Ticks < end && !cancel.IsCancellationRequested)
            {
                Episode(cancel);
            }
        }
        finally
        {
            Flush();
        }
    }

    private void Episode(CancellationToken cancel)
    {
        _env.Reset().CopyTo(_obs);
        float ret = 0;
        while (true)
        {
            SwapIfPending();
            int action = Act();
            var r = _env.Step(action);
            _env.Observation.CopyTo(_next);
            if (_writer.Count == 0)
            {
                _writer.Begin(FleetSequence.Compose(Incarnation, _index), _model.Version);
            }

            _writer.Add(_obs, action, r.Reward, _next, r.Terminated, r.Truncated);
            _index++;
            Ticks++;
            ret += r.Reward;
            if (_writer.IsFull)
            {
                Flush();
            }

            if (r.Done)
            {
                break;
            }

            if (cancel.IsCancellationRequested)
            {
                return;   // cut by a stop: its transitions are sent, but it is no finished episode
            }

            _next.CopyTo(_obs, 0);
        }

        Episodes++;
        LastReturn = ret;
        EpisodeEnded?.Invoke(new FleetEpisode(Episodes, Ticks, ret, _model.Version));
    }

    private int Act()
    {
        if (_options.Epsilon > 0 && _rng.NextDouble() < _options.Epsilon)
        {
            return _rng.Next(_env.ActionCount);
        }

        return _model.Interpreter.ArgMax(_obs);
    }

    private void SwapIfPending()
    {
        if (_slot.TakePending() is not { } next)
        {
            return;
        }

        long start = Stopwatch.GetTimestamp();
        Flush();
        var old = _model;
        _model = next;
        ThreadPool.UnsafeQueueUserWorkItem(static m => m.Dispose(), old, preferLocal: false);   // unmapping and deleting the old blob: off the loop
        Swaps++;
        var took = Stopwatch.GetElapsedTime(start);
        LongestSwap = took > LongestSwap ? took : LongestSwap;
        Swapped?.Invoke(next.Version);
    }

    private void Flush()
    {
        if (_writer.Count > 0)
        {
            Outbox.Enqueue(new OutgoingBatch(_writer.FirstSequence, _writer.Count, _writer.ModelVersion, _writer.Finish()));
            _writer.Begin(FleetSequence.Compose(Incarnation, _index), _model.Version);
        }
    }

    /// <summary>The loop's statistics as a heartbeat (the loop's timing from the caller, who knows the rig); its last sequence is the last the broker accepted.</summary>
    public Heartbeat Heartbeat(float workP99Ms = 0, float jitterP99Ms = 0, uint overruns = 0) =>
        new(ModelVersion, (ulong)Ticks, Outbox.LastAccepted, (uint)Episodes, LastReturn, workP99Ms, jitterP99Ms, overruns);

    /// <summary>Releases the acting model and any pending one.</summary>
    public void Dispose()
    {
        _model.Dispose();
        _slot.Dispose();
        Outbox.Dispose();
    }
}
