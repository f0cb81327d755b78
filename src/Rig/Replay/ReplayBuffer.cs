namespace EdgeNet.Rig.Replay;

/// <summary>
/// Experience replay for the DQN on both sides (the trainer's and the board's learner) as a fixed-capacity
/// ring of flat arrays (allocated once): observation,
/// action, reward, next observation and the terminated flag of each transition. When full, the
/// oldest transition is overwritten. <see cref="Sample(Random, ReplayBatch)"/> draws uniformly with replacement from the
/// filled slots only.
/// </summary>
public sealed class ReplayBuffer
{
    private readonly float[] _obs;       // [capacity, obsSize]
    private readonly float[] _nextObs;   // [capacity, obsSize]
    private readonly int[] _actions;     // [capacity]
    private readonly float[] _rewards;   // [capacity]
    private readonly float[] _terminated; // [capacity] 1 = terminal (no bootstrap), 0 otherwise (incl. truncated)
    private int _next;

    /// <summary>A ring of <paramref name="capacity"/> transitions of <paramref name="observationSize"/> values each, allocated here.</summary>
    public ReplayBuffer(int capacity, int observationSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(observationSize, 1);
        Capacity = capacity;
        ObservationSize = observationSize;
        _obs = new float[(long)capacity * observationSize];
        _nextObs = new float[(long)capacity * observationSize];
        _actions = new int[capacity];
        _rewards = new float[capacity];
        _terminated = new float[capacity];
    }

    /// <summary>A ring of as many transitions as <paramref name="budgetBytes"/> holds (the board's memory budget).</summary>
    public static ReplayBuffer FromBudget(long budgetBytes, int observationSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(observationSize, 1);
        long per = BytesPerTransition(observationSize), capacity = budgetBytes / per;
        if (capacity < 1 || capacity > int.MaxValue / observationSize)
        {
            throw new ArgumentOutOfRangeException(nameof(budgetBytes), budgetBytes, $"a replay budget of {budgetBytes:N0} bytes holds {capacity:N0} transitions of {per} bytes; give room for at least one (and fewer than {int.MaxValue / observationSize:N0})");
        }

        return new ReplayBuffer((int)capacity, observationSize);
    }

    /// <summary>Bytes one transition takes: two observations, an action, a reward, a flag.</summary>
    public static long BytesPerTransition(int observationSize) => (2L * observationSize * sizeof(float)) + sizeof(int) + (2 * sizeof(float));

    /// <summary>Bytes the ring holds.</summary>
    public long Bytes => Capacity * BytesPerTransition(ObservationSize);

    /// <summary>How many transitions the ring holds before it overwrites the oldest.</summary>
    public int Capacity { get; }

    /// <summary>Values per observation.</summary>
    public int ObservationSize { get; }

    /// <summary>Transitions stored (at most <see cref="Capacity"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Transitions ever added.</summary>
    public long Added { get; private set; }

    /// <summary>The slot the next <see cref="Add"/> writes.</summary>
    public int NextSlot => _next;

    /// <summary>
    /// Stores one transition. <paramref name="terminated"/> is true only for a terminal state; a
    /// time-limit truncation is stored as not terminated, so its next state is bootstrapped.
    /// </summary>
    public void Add(ReadOnlySpan<float> observation, int action, float reward, ReadOnlySpan<float> nextObservation, bool terminated)
    {
        if (observation.Length != ObservationSize || nextObservation.Length != ObservationSize)
        {
            throw new ArgumentException($"replay buffer holds observations of {ObservationSize} values; got {observation.Length} and {nextObservation.Length}");
        }

        int i = _next;
        observation.CopyTo(_obs.AsSpan(i * ObservationSize, ObservationSize));
        nextObservation.CopyTo(_nextObs.AsSpan(i * ObservationSize, ObservationSize));
        _actions[i] = action;
        _rewards[i] = reward;
        _terminated[i] = terminated ? 1f : 0f;
        _next = (i + 1) % Capacity;
        Count = Math.Min(Count + 1, Capacity);
        Added++;
    }

    /// <summary>Draws <paramref name="batch"/>.Size transitions uniformly (with replacement) into the batch's arrays.</summary>
    public void Sample(Random rng, ReplayBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Sample(rng, batch, 0, batch.Size);
    }

    /// <summary>Draws <paramref name="count"/> transitions into rows [offset, offset + count) of <paramref name="batch"/>.</summary>
    public void Sample(Random rng, ReplayBatch batch, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + count, batch.Size);
        if (Count == 0)
        {
            throw new InvalidOperationException("the replay buffer is empty: add transitions before sampling");
        }

        if (batch.ObservationSize != ObservationSize)
        {
            throw new ArgumentException($"batch holds observations of {batch.ObservationSize} values; the buffer {ObservationSize}");
        }

        int d = ObservationSize;
        for (int b = offset; b < offset + count; b++)
        {
            int i = rng.Next(Count);
            batch.Indices[b] = i;
            _obs.AsSpan(i * d, d).CopyTo(batch.Observations.AsSpan(b * d, d));
            _nextObs.AsSpan(i * d, d).CopyTo(batch.NextObservations.AsSpan(b * d, d));
            batch.Actions[b] = _actions[i];
            batch.Rewards[b] = _rewards[i];
            batch.Terminated[b] = _terminated[i];
        }
    }

    /// <summary>The transition in <paramref name="slot"/> (tests, inspection).</summary>
    public (float[] Observation, int Action, float Reward, float[] NextObservation, bool Terminated) Get(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Count);
        int d = ObservationSize;
        return (_obs.AsSpan(slot * d, d).ToArray(), _actions[slot], _rewards[slot], _nextObs.AsSpan(slot * d, d).ToArray(), _terminated[slot] != 0);
    }
}

/// <summary>A sampled minibatch, reused from step to step (no allocation per sample).</summary>
public sealed class ReplayBatch(int size, int observationSize)
{
    /// <summary>Transitions per batch.</summary>
    public int Size { get; } = size;

    /// <summary>Values per observation.</summary>
    public int ObservationSize { get; } = observationSize;

    /// <summary>The ring slots sampled [size].</summary>
    public int[] Indices { get; } = new int[size];

    /// <summary>[size, obsSize]</summary>
    public float[] Observations { get; } = new float[size * observationSize];

    /// <summary>[size, obsSize]</summary>
    public float[] NextObservations { get; } = new float[size * observationSize];

    /// <summary>The actions taken [size].</summary>
    public int[] Actions { get; } = new int[size];

    /// <summary>The rewards received [size].</summary>
    public float[] Rewards { get; } = new float[size];

    /// <summary>1 where the next state is terminal.</summary>
    public float[] Terminated { get; } = new float[size];
}
