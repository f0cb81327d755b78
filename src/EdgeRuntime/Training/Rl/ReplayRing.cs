namespace EdgeNet.Runtime.Training.Rl;

/// <summary>
/// Experience replay on the board: a ring of flat arrays sized once from a memory budget (observation,
/// action, reward, next observation, terminated per transition); when full the oldest is overwritten.
/// Sampling draws uniformly with replacement from the filled slots, as the trainer's replay buffer does.
/// </summary>
public sealed class ReplayRing
{
    private readonly float[] _obs;        // [capacity, obsSize]
    private readonly float[] _nextObs;    // [capacity, obsSize]
    private readonly int[] _actions;      // [capacity]
    private readonly float[] _rewards;    // [capacity]
    private readonly float[] _terminated; // [capacity] 1 = terminal (no bootstrap); a time-limit truncation is 0
    private int _next;

    /// <summary>A ring of as many transitions as <paramref name="budgetBytes"/> holds.</summary>
    public ReplayRing(long budgetBytes, int observationSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(observationSize, 1);
        long per = BytesPerTransition(observationSize);
        long capacity = budgetBytes / per;
        if (capacity < 1 || capacity > int.MaxValue / observationSize)
        {
            throw new ArgumentOutOfRangeException(nameof(budgetBytes), budgetBytes, $"a replay budget of {budgetBytes:N0} bytes holds {capacity:N0} transitions of {per} bytes; give room for at least one (and fewer than {int.MaxValue / observationSize:N0})");
        }

        Capacity = (int)capacity;
        ObservationSize = observationSize;
        _obs = new float[Capacity * observationSize];
        _nextObs = new float[Capacity * observationSize];
        _actions = new int[Capacity];
        _rewards = new float[Capacity];
        _terminated = new float[Capacity];
    }

    public int Capacity { get; }

    public int ObservationSize { get; }

    public int Count { get; private set; }

    public long Added { get; private set; }

    /// <summary>Bytes one transition takes: two observations, an action, a reward, a flag.</summary>
    public static long BytesPerTransition(int observationSize) => (2L * observationSize * sizeof(float)) + sizeof(int) + (2 * sizeof(float));

    public long Bytes => Capacity * BytesPerTransition(ObservationSize);

    public void Add(ReadOnlySpan<float> observation, int action, float reward, ReadOnlySpan<float> nextObservation, bool terminated)
    {
        if (observation.Length != ObservationSize || nextObservation.Length != ObservationSize)
        {
            throw new ArgumentException($"the replay ring holds observations of {ObservationSize} values; got {observation.Length} and {nextObservation.Length}");
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

    /// <summary>Draws <paramref name="n"/> transitions into the given rows (obs and next: [n, obsSize]; the rest [n]).</summary>
    public void Sample(Random rng, int n, Span<float> obs, Span<int> actions, Span<float> rewards, Span<float> nextObs, Span<float> terminated)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (Count == 0)
        {
            throw new InvalidOperationException("the replay ring is empty: remember transitions before learning");
        }

        int d = ObservationSize;
        for (int b = 0; b < n; b++)
        {
            int i = rng.Next(Count);
            _obs.AsSpan(i * d, d).CopyTo(obs.Slice(b * d, d));
            _nextObs.AsSpan(i * d, d).CopyTo(nextObs.Slice(b * d, d));
            actions[b] = _actions[i];
            rewards[b] = _rewards[i];
            terminated[b] = _terminated[i];
        }
    }
}
