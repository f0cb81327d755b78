using EdgeNet.Rig.Replay;
using EdgeNet.Runtime.Training;

namespace EdgeNet.Runtime.Training.Rl;

/// <summary>What the board's DQN learns with (the trainer's DqnOptions defaults: the rl-baselines3-zoo CartPole-v1 set).</summary>
public sealed record DqnLearnerOptions
{
    /// <summary>Transitions sampled from the replay ring per gradient step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate.</summary>
    public float LearningRate { get; init; } = 2.3e-3f;

    /// <summary>Discount factor γ of the TD target r + γ·max Q'(s', a').</summary>
    public float Gamma { get; init; } = 0.99f;

    /// <summary>Global gradient-norm clip (SB3's max_grad_norm); null: off.</summary>
    public float? MaxGradNorm { get; init; } = 10f;

    /// <summary>Where the Huber loss turns from quadratic to linear.</summary>
    public float HuberDelta { get; init; } = 1f;

    /// <summary>Double DQN: the online network picks the next action, the target network values it.</summary>
    public bool DoubleDqn { get; init; }

    /// <summary>Memory for the replay ring (16 MB: 419,430 CartPole transitions).</summary>
    public long ReplayBytes { get; init; } = 16L << 20;

    /// <summary>What learns (all, last:K, names); the rest of the Q-network stays as exported.</summary>
    public string Layers { get; init; } = "all";

    /// <summary>Reference or SIMD kernels for the four networks.</summary>
    public KernelVariant Variant { get; init; } = KernelVariant.Simd;

    /// <summary>Seeds ε-greedy exploration and replay sampling.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// The DQN on the board: an online Q-network that learns (a <see cref="TrainingSession"/> with the TD
/// Huber loss), a target network as a second weight set (a forward-only session refreshed by
/// <see cref="UpdateTarget"/>), an actor (the inference <see cref="Interpreter"/> at batch 1, its packed weights refreshed
/// in place by <see cref="SyncActor"/>, so acting never waits for learning and never sees a half-updated network), and a replay ring in a fixed
/// memory budget; a fourth weight set keeps the best policy found (<see cref="KeepBest"/>, <see cref="RestoreBest"/>), as DQN
/// can lose a good policy while it keeps learning. The update is the trainer's: y = r + γ·(1 − terminated)·Q_target(s', a*), a* the target's
/// (or with Double DQN the online network's) argmax; Huber on Q(s, a) − y averaged over the batch; Adam with
/// the global clip. Nothing is allocated after creation.
/// </summary>
public sealed class DqnLearner : IDisposable
{
    private readonly TrainingSession _online;
    private readonly TrainingSession _target;
    private readonly Interpreter _actor;
    private readonly TrainingSession _best;
    private readonly Random _rng;
    private readonly ReplayBatch _batch;

    private DqnLearner(string blob, DqnLearnerOptions options, string? bestBlob)
    {
        Options = options;
        _online = TrainingSession.Load(blob, new TrainingOptions
        {
            MaxBatch = options.BatchSize, Loss = TrainingLoss.HuberAtAction, HuberDelta = options.HuberDelta, LearningRate = options.LearningRate,
            GlobalClipNorm = options.MaxGradNorm, Layers = options.Layers, Variant = options.Variant,
        });
        try
        {
            _target = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = options.BatchSize, Layers = "none", Variant = options.Variant });
            _actor = Interpreter.Load(blob, new InterpreterOptions { MaxBatch = 1, Variant = options.Variant });
            _best = TrainingSession.Load(bestBlob ?? blob, new TrainingOptions { MaxBatch = 1, Layers = "none", Variant = options.Variant });
        }
        catch
        {
            _online.Dispose();
            _target?.Dispose();
            _actor?.Dispose();
            throw;
        }

        ObservationSize = _online.InputSampleSize;
        ActionCount = _online.OutputSampleSize;
        Replay = ReplayBuffer.FromBudget(options.ReplayBytes, ObservationSize);
        _rng = new Random(options.Seed);
        _batch = new ReplayBatch(options.BatchSize, ObservationSize);
    }

    /// <summary>The options the learner was created with.</summary>
    public DqnLearnerOptions Options { get; }

    /// <summary>Values per observation (4 for CartPole).</summary>
    public int ObservationSize { get; }

    /// <summary>Number of actions, the Q-network's outputs (2 for CartPole).</summary>
    public int ActionCount { get; }

    /// <summary>The replay ring, sized from <see cref="DqnLearnerOptions.ReplayBytes"/>.</summary>
    public ReplayBuffer Replay { get; }

    /// <summary>The network that learns.</summary>
    public TrainingSession Online => _online;

    /// <summary>Gradient steps taken so far.</summary>
    public long GradientSteps => _online.Steps;

    /// <summary>Arena bytes of the four weight sets together (learner, target, actor, best kept), without the replay ring.</summary>
    public long ArenaBytes => _online.ArenaBytes + _target.ArenaBytes + _actor.ArenaBytes + _best.ArenaBytes;

    /// <summary>The interpreter the learner acts through (batch 1, the inference kernels).</summary>
    public Interpreter Actor => _actor;

    /// <summary>
    /// Loads a Q-network blob (f32 or f16: observations in, one Q-value per action out); <paramref name="bestBlob"/>
    /// (a checkpoint's kept weights, same architecture) starts the kept-best copy instead of the loaded weights.
    /// </summary>
    public static DqnLearner Load(string blob, DqnLearnerOptions? options = null, string? bestBlob = null)
    {
        options ??= new DqnLearnerOptions();
        if (options.BatchSize < 1 || !(options.Gamma is >= 0 and <= 1))
        {
            throw new ArgumentException($"DqnLearnerOptions: batch {options.BatchSize} must be >= 1 and gamma {options.Gamma} in [0, 1]");
        }

        return new DqnLearner(blob, options, bestBlob);
    }

    /// <summary>The greedy action, or a uniformly random one with probability <paramref name="epsilon"/> (through the actor's weights).</summary>
    public int Act(ReadOnlySpan<float> observation, double epsilon = 0)
    {
        if (epsilon > 0 && _rng.NextDouble() < epsilon)
        {
            return _rng.Next(ActionCount);
        }

        return _actor.ArgMax(observation);
    }

    /// <summary>Actor ← online: call between control ticks to act with what was learned.</summary>
    public void SyncActor()
    {
        var ps = _online.Params;
        for (int i = 0; i < ps.Count; i++)
        {
            _actor.UpdateWeight(ps[i].Name, _online.Weight(ps[i].Name));
        }
    }

    /// <summary>Keeps a copy of the online weights (the best so far, by the caller's evaluation); allocates nothing.</summary>
    public void KeepBest() => _best.CopyWeightsFrom(_online);

    /// <summary>Online, target and actor ← the kept copy (the loaded weights until <see cref="KeepBest"/> is called).</summary>
    public void RestoreBest()
    {
        _online.CopyWeightsFrom(_best);
        UpdateTarget();
        SyncActor();
    }

    /// <summary>Target ← online (a hard update).</summary>
    public void UpdateTarget() => _target.CopyWeightsFrom(_online);

    /// <summary>Stores one transition in the replay ring (the oldest is overwritten when it is full); <paramref name="terminated"/> is true only when the episode really ended (the pole fell), not when it was cut by a time limit.</summary>
    public void Remember(ReadOnlySpan<float> observation, int action, float reward, ReadOnlySpan<float> nextObservation, bool terminated) =>
        Replay.Add(observation, action, reward, nextObservation, terminated);

    /// <summary>One gradient step on a batch sampled from the replay ring; returns the Huber loss before the update.</summary>
    public float TrainStep()
    {
        Replay.Sample(_rng, _batch);
        return TrainOn(_batch.Observations, _batch.Actions, _batch.Rewards, _batch.NextObservations, _batch.Terminated, _batch.Size);
    }

    /// <summary>One gradient step on the given transitions (s, s': [n, obs]; a, r, terminated: [n]).</summary>
    public float TrainOn(ReadOnlySpan<float> s, ReadOnlySpan<int> a, ReadOnlySpan<float> r, ReadOnlySpan<float> s2, ReadOnlySpan<float> terminated, int n)
    {
        int d = ObservationSize, k = ActionCount;

        // TD targets: Q_target(s', ·), and with Double DQN the online argmax over s' (before this step's update).
        s2[..(n * d)].CopyTo(_target.Input(n));
        _target.Forward(n);
        var qNext = _target.Output(n);                 // [n, actions]
        if (Options.DoubleDqn)
        {
            s2[..(n * d)].CopyTo(_online.Input(n));
            _online.Forward(n);
        }

        var qOnline = _online.Output(n);               // [n, actions], Double DQN only
        var t = _online.Targets(n);                    // [n, 2] = (action, y)
        for (int i = 0; i < n; i++)
        {
            float next;
            if (Options.DoubleDqn)
            {
                next = qNext[(i * k) + System.Numerics.Tensors.TensorPrimitives.IndexOfMax(qOnline.Slice(i * k, k))];
            }
            else
            {
                next = System.Numerics.Tensors.TensorPrimitives.Max(qNext.Slice(i * k, k));
            }

            if ((uint)a[i] >= (uint)k)
            {
                throw new ArgumentOutOfRangeException(nameof(a), a[i], $"action {a[i]} at row {i} is not one of the Q-network's {k} actions");
            }

            t[2 * i] = a[i];
            t[(2 * i) + 1] = r[i] + (Options.Gamma * (1 - terminated[i]) * next);
        }

        s[..(n * d)].CopyTo(_online.Input(n));
        return _online.Step(n);
    }

    /// <summary>Writes the online network as a new blob (atomically, with the fine-tune's provenance).</summary>
    public void Save(string path, string data) => _online.Save(path, data);

    /// <summary>
    /// Writes the online network re-quantized to int8 (atomically): per-channel weights, activation ranges observed over
    /// <paramref name="samples"/> observations sampled from the replay ring (the states the policy acts in), so a board acts
    /// in int8 with what was learned in float.
    /// </summary>
    /// <exception cref="InvalidOperationException">The replay ring is empty: nothing to calibrate on.</exception>
    public void SaveInt8(string path, string data, int samples = 512)
    {
        if (Replay.Count == 0)
        {
            throw new InvalidOperationException("int8 needs activation ranges from observed states; the replay ring is empty");
        }

        var values = _online.Values.Count;
        float[] min = new float[values], max = new float[values];
        Array.Fill(min, float.PositiveInfinity);
        Array.Fill(max, float.NegativeInfinity);
        int n = Math.Max(1, samples);
        for (int done = 0; done < n; done += _batch.Size)
        {
            Replay.Sample(_rng, _batch);
            int m = Math.Min(_batch.Size, n - done);
            _batch.Observations.AsSpan(0, m * ObservationSize).CopyTo(_online.Input(m));
            _online.Observe(m, min, max);
        }

        _online.Int8Writer(data, min, max, n).Write(path);
    }

    /// <summary>Writes the kept-best weights (<see cref="KeepBest"/>) as a blob, atomically.</summary>
    public void SaveBest(string path, string data) => _best.Save(path, data);

    /// <summary>Frees the four networks' arenas.</summary>
    public void Dispose()
    {
        _online.Dispose();
        _target.Dispose();
        _actor.Dispose();
        _best.Dispose();
    }
}
