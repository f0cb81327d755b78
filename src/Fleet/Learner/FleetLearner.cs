using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Fleet.Topics;
using EdgeNet.Fleet.Transport;
using EdgeNet.Runtime.Training.Rl;

namespace EdgeNet.Fleet.Learner;

/// <summary>
/// The fleet's learner (Ape-X's shape): one replay ring fed by every board, the board's own DQN update
/// (<see cref="DqnLearner"/>: Double DQN targets, Huber, Adam with the global clip) on the rig-train schedule counted per
/// transition received, and a new model announced every <see cref="FleetLearnerOptions.AnnounceEvery"/> gradient steps.
/// The network's thread calls <see cref="OnTransitions"/> and friends (decode, de-duplicate by (board, sequence), queue);
/// <see cref="RunAsync"/> owns the DQN learner (the replay, the steps, the blobs) on its own thread.
/// </summary>
public sealed class FleetLearner : IDisposable
{
    private const int StalenessBins = 64;

    private readonly DqnLearner _dqn;
    private readonly FleetLearnerOptions _options;
    private readonly TransitionLedger _ledger = new();
    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<Transition> _incoming = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Dictionary<string, BoardState> _boards = [];
    private readonly long[] _staleness = new long[StalenessBins + 1];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Queue<string> _written = new();
    private long _stored;
    private double _credit;
    private uint _version;

    /// <summary>A learner over <paramref name="dqn"/> (its loaded blob is model version 0).</summary>
    public FleetLearner(DqnLearner dqn, FleetLearnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dqn);
        _dqn = dqn;
        _options = options ?? new FleetLearnerOptions();
        if (_options.AnnounceEvery < 1 || _options.TargetEvery < 1 || !(_options.GradientStepsPerTransition is > 0 and <= 64) || _options.KeepBlobs < 1)
        {
            throw new ArgumentException("FleetLearnerOptions: announce-every, target-every and keep-blobs must be at least 1, gradient steps per transition in (0, 64]");
        }
    }

    /// <summary>Releases the wake-up signal (the DQN learner stays the caller's).</summary>
    public void Dispose() => _arrived.Dispose();

    /// <summary>The newest model version announced (0: the loaded blob).</summary>
    public uint ModelVersion => Volatile.Read(ref _version);

    /// <summary>Transitions stored in the replay (each (board, sequence) once).</summary>
    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>Transitions accepted by the ledger (queued or stored).</summary>
    public long Accepted
    {
        get
        {
            lock (_gate)
            {
                return _ledger.Accepted;
            }
        }
    }

    /// <summary>Transitions dropped as already stored (at-least-once delivery's second copies).</summary>
    public long Duplicates
    {
        get
        {
            lock (_gate)
            {
                return _ledger.Duplicates;
            }
        }
    }

    /// <summary>Payloads refused (a newer version, a board naming another, a cut message).</summary>
    public long RefusedPayloads { get; private set; }

    /// <summary>Gradient steps taken.</summary>
    public long GradientSteps => _dqn.GradientSteps;

    /// <summary>The last gradient step's loss.</summary>
    public float Loss { get; private set; } = float.NaN;

    /// <summary>When the first transition arrived (since the learner was created), or null.</summary>
    public TimeSpan? FirstArrival { get; private set; }

    /// <summary>Time since the learner was created.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Raised after each announcement (on the learner's thread).</summary>
    public event Action<AnnouncedModel>? Announced;

    /// <summary>Raised when a board's episode ends in its transitions (on the network's thread).</summary>
    public event Action<BoardEpisode>? EpisodeEnded;

    /// <summary>Raised for every transition the ledger accepts (board, sequence), on the network's thread: a test's or an audit's record.</summary>
    public event Action<string, ulong>? TransitionAccepted;

    /// <summary>The subscriptions a learner's <see cref="FleetClient"/> connects with.</summary>
    public IReadOnlyList<(string Filter, Func<string, byte[], Task> Handler)> Subscriptions =>
    [
        (FleetTopics.AllTransitions, (t, p) => { OnTransitions(t, p); return Task.CompletedTask; }),
        (FleetTopics.AllHeartbeats, (t, p) => { OnHeartbeat(t, p); return Task.CompletedTask; }),
        (FleetTopics.AllStatus, (t, p) => { OnStatus(t, p); return Task.CompletedTask; }),
    ];

    /// <summary>
    /// A board's batch (the network's thread): decoded against its topic, each transition offered to the ledger, the new ones
    /// queued for the replay; the staleness of the batch (newest version − the version it was acted with) counted per transition.
    /// </summary>
    /// <exception cref="FleetPayloadException">Refused (counted): the message says why.</exception>
    public void OnTransitions(string topic, byte[] payload)
    {
        TransitionBatch batch;
        try
        {
            batch = TransitionBatch.Decode(topic, payload);
        }
        catch (FleetPayloadException)
        {
            RefusedPayloads++;
            throw;
        }

        int fresh = 0;
        lock (_gate)
        {
            FirstArrival ??= _clock.Elapsed;
            var board = Board(batch.Board);
            for (int i = 0; i < batch.Transitions.Count; i++)
            {
                ulong sequence = batch.FirstSequence + (ulong)i;
                if (!_ledger.Accept(batch.Board, sequence))
                {
                    continue;
                }

                fresh++;
                var t = batch.Transitions[i];
                uint incarnation = FleetSequence.Incarnation(sequence);
                if (incarnation != board.Incarnation)
                {
                    (board.Incarnation, board.Return) = (incarnation, 0);   // a restarted board: its cut episode's return is not carried over
                }

                board.Count(incarnation);

                _incoming.Enqueue(t);
                TransitionAccepted?.Invoke(batch.Board, sequence);
                board.Return += t.Reward;
                if (t.Terminated || t.Truncated)
                {
                    board.LastReturn = board.Return;
                    board.Episodes++;
                    EpisodeEnded?.Invoke(new BoardEpisode(batch.Board, _ledger.Accepted, board.Return, _clock.Elapsed));
                    board.Return = 0;
                }
            }

            uint now = ModelVersion;
            _staleness[batch.ModelVersion >= now ? 0 : Math.Min(StalenessBins, now - batch.ModelVersion)] += fresh;
            board.Stored += fresh;
            board.ModelVersion = batch.ModelVersion;
            board.Seen(_clock.Elapsed.TotalSeconds, fresh);
        }

        if (fresh > 0)
        {
            _arrived.Release();
        }
    }

    /// <summary>A board's heartbeat (kept for its table row).</summary>
    public void OnHeartbeat(string topic, byte[] payload)
    {
        var h = Heartbeat.Decode(payload);
        if (FleetTopics.BoardOf(topic) is { } id)
        {
            lock (_gate)
            {
                var b = Board(id);
                b.Heartbeat = h;
                b.Seen(_clock.Elapsed.TotalSeconds, 0);
            }
        }
    }

    /// <summary>A board's retained status (online, or its will's offline).</summary>
    public void OnStatus(string topic, byte[] payload)
    {
        if (FleetTopics.BoardOf(topic) is { } id)
        {
            lock (_gate)
            {
                Board(id).Online = payload.AsSpan().SequenceEqual("online"u8);
            }
        }
    }

    /// <summary>The boards' rows, ordered by id.</summary>
    public IReadOnlyList<BoardView> Boards()
    {
        lock (_gate)
        {
            var rows = new List<BoardView>(_boards.Count);
            double now = _clock.Elapsed.TotalSeconds;
            foreach (var (id, b) in _boards)
            {
                rows.Add(new BoardView(id, b.Online, b.LastSeenUtc, b.Stored, b.Rate(now), b.LastReturn, b.Episodes, b.ModelVersion, b.Heartbeat, [.. b.PerIncarnation]));
            }

            rows.Sort((x, y) => string.CompareOrdinal(x.Board, y.Board));
            return rows;
        }
    }

    /// <summary>Transitions stored by their staleness at arrival (index: newest version − the version acted with; the last bin: that many or more).</summary>
    public long[] Staleness()
    {
        lock (_gate)
        {
            return (long[])_staleness.Clone();
        }
    }

    /// <summary>
    /// The learner's loop until <paramref name="stop"/>: every queued transition goes into the replay, with the rig-train
    /// schedule per transition (gradient steps spread over the arrivals once <see cref="FleetLearnerOptions.LearningStarts"/>
    /// are stored, a target copy every <see cref="FleetLearnerOptions.TargetEvery"/>); every
    /// <see cref="FleetLearnerOptions.AnnounceEvery"/> steps a new blob is written and handed to <paramref name="announce"/>
    /// (a retained QoS 1 publish of its <see cref="ModelAnnouncement"/>).
    /// </summary>
    public async Task RunAsync(Func<byte[], CancellationToken, Task<FleetPublishOutcome>> announce, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(announce);
        Directory.CreateDirectory(_options.WorkDirectory);
        while (!stop.IsCancellationRequested)
        {
            if (!_incoming.TryDequeue(out var t))
            {
                try
                {
                    await _arrived.WaitAsync(TimeSpan.FromMilliseconds(100), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            _dqn.Remember(t.Observation, t.Action, t.Reward, t.NextObservation, t.Terminated);
            long stored = Interlocked.Increment(ref _stored);
            if (stored >= _options.LearningStarts && _dqn.Replay.Count >= _dqn.Options.BatchSize)
            {
                _credit += _options.GradientStepsPerTransition;
                while (_credit >= 1)
                {
                    Loss = _dqn.TrainStep();
                    _credit -= 1;
                    if (_dqn.GradientSteps % _options.AnnounceEvery == 0)
                    {
                        try
                        {
                            await Announce(announce, stop).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (stop.IsCancellationRequested)
                        {
                            return;   // stopped while announcing: the blob is written, the broker may not have it
                        }
                    }
                }
            }

            if (stored % _options.TargetEvery == 0)
            {
                _dqn.UpdateTarget();
            }
        }
    }

    /// <summary>Writes the online network as the next version's blob and announces it (retained); returns what was announced.</summary>
    public async Task<AnnouncedModel> Announce(Func<byte[], CancellationToken, Task<FleetPublishOutcome>> announce, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(announce);
        uint version = ModelVersion + 1;
        Directory.CreateDirectory(_options.WorkDirectory);
        string path = Path.Combine(_options.WorkDirectory, $"model-v{version}.enb");
        string data = $"edgenet-train fleet learn: {Stored} transitions from {_boards.Count} boards, {_dqn.GradientSteps} steps";
        if (_options.Scheme == ModelScheme.Int8)
        {
            _dqn.SaveInt8(path, data, _options.Int8Calibration);
        }
        else if (_options.Scheme == ModelScheme.F32)
        {
            _dqn.Save(path, data);
        }
        else
        {
            throw new NotSupportedException($"the learner announces f32 or int8 blobs; {_options.Scheme} is not made here");
        }

        byte[] blob = await File.ReadAllBytesAsync(path, CancellationToken.None).ConfigureAwait(false);
        Volatile.Write(ref _version, version);
        var outcome = await announce(ModelAnnouncement.Encode(version, _options.Scheme, blob), ct).ConfigureAwait(false);
        _written.Enqueue(path);
        while (_written.Count > _options.KeepBlobs)
        {
            File.Delete(_written.Dequeue());
        }

        var a = new AnnouncedModel(version, blob, path, Stored, _dqn.GradientSteps, _clock.Elapsed, outcome == FleetPublishOutcome.Accepted);
        Announced?.Invoke(a);
        return a;
    }

    private BoardState Board(string id)
    {
        if (!_boards.TryGetValue(id, out var b))
        {
            b = new BoardState();
            _boards.Add(id, b);
        }

        return b;
    }

    /// <summary>One board's running figures (under the learner's lock).</summary>
    private sealed class BoardState
    {
        private readonly Queue<(double At, int Count)> _recent = new();

        public bool Online { get; set; } = true;

        public DateTime LastSeenUtc { get; private set; }

        public long Stored { get; set; }

        public float Return { get; set; }

        public float LastReturn { get; set; } = float.NaN;

        public long Episodes { get; set; }

        public uint ModelVersion { get; set; }

        public Heartbeat? Heartbeat { get; set; }

        public uint Incarnation { get; set; }

        public List<(uint Incarnation, long Stored)> PerIncarnation { get; } = [];

        public void Count(uint incarnation)
        {
            for (int i = PerIncarnation.Count - 1; i >= 0; i--)
            {
                if (PerIncarnation[i].Incarnation == incarnation)
                {
                    PerIncarnation[i] = (incarnation, PerIncarnation[i].Stored + 1);
                    return;
                }
            }

            PerIncarnation.Add((incarnation, 1));
        }

        private double _first = double.NaN;

        public void Seen(double now, int stored)
        {
            _first = double.IsNaN(_first) ? now : _first;
            LastSeenUtc = DateTime.UtcNow;
            _recent.Enqueue((now, stored));
            while (_recent.Count > 0 && _recent.Peek().At < now - 5)
            {
                _recent.Dequeue();
            }
        }

        /// <summary>Transitions stored per second over the last 5 s.</summary>
        public double Rate(double now)
        {
            long sum = 0;
            foreach (var (at, count) in _recent)
            {
                sum += at >= now - 5 ? count : 0;
            }

            return sum / Math.Clamp(now - _first, 1, 5);   // seen for less than 5 s: over the time it has been seen
        }
    }
}
