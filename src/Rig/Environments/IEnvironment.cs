namespace EdgeNet.Rig.Environments;

/// <summary>What one step of an environment returned besides the new observation (Gym's step tuple).</summary>
/// <param name="Reward">The reward of this step.</param>
/// <param name="Terminated">The episode ended in a terminal state (no value beyond it: do not bootstrap).</param>
/// <param name="Truncated">The episode was cut by a time limit (the state still has a value: bootstrap).</param>
public readonly record struct StepResult(float Reward, bool Terminated, bool Truncated)
{
    /// <summary>Terminated or truncated: call Reset before the next step.</summary>
    public bool Done => Terminated || Truncated;
}

/// <summary>
/// A Gym-style environment with discrete actions: <see cref="Reset"/> (optionally reseeding), then
/// <see cref="Step"/> until <see cref="StepResult.Done"/>. The observation lives in the environment
/// and is valid until the next call; nothing is allocated per step.
/// </summary>
public interface IEnvironment
{
    /// <summary>Values in one observation.</summary>
    int ObservationSize { get; }

    /// <summary>Number of discrete actions.</summary>
    int ActionCount { get; }

    /// <summary>The current observation.</summary>
    ReadOnlySpan<float> Observation { get; }

    /// <summary>Starts an episode; a seed reseeds the environment's generator (Gym's reset(seed=...)).</summary>
    ReadOnlySpan<float> Reset(int? seed = null);

    /// <summary>Applies <paramref name="action"/> for one tick.</summary>
    StepResult Step(int action);
}
