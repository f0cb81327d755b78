using EdgeNet.Rig.CartPole;
using EdgeNet.Rig.Environments;

namespace EdgeNet.Runtime.Training.Rl;

/// <summary>
/// The rig as a Gym-style environment for code that acts through <see cref="IEnvironment"/> (a fleet board): resets and
/// ticks honour a cancellation (a signal while the operator resets the pole ends the wait), and an episode ended by a
/// safety stop that says nothing about the pole (an end switch, the e-stop, the watchdog, a cancellation) is reported as
/// truncated, not terminated: the learner then bootstraps from its last state instead of learning that the pole fell.
/// </summary>
public sealed class RigEnvironment(GpioCartPoleRig rig, CancellationToken cancel) : IEnvironment
{
    /// <inheritdoc/>
    public int ObservationSize => rig.ObservationSize;

    /// <inheritdoc/>
    public int ActionCount => rig.ActionCount;

    /// <inheritdoc/>
    public ReadOnlySpan<float> Observation => rig.Observation;

    /// <summary>True when an episode ended by <paramref name="reason"/> says the pole fell or the cart ran out of track (the task's own terminal states).</summary>
    public static bool IsPhysicalEnd(string? reason) =>
        reason is not null && (reason.StartsWith("angle limit", StringComparison.Ordinal) || reason.StartsWith("travel limit", StringComparison.Ordinal));

    /// <inheritdoc/>
    public ReadOnlySpan<float> Reset(int? seed = null) => rig.Reset(seed, cancel);

    /// <inheritdoc/>
    public StepResult Step(int action)
    {
        rig.Apply(action);
        var r = rig.Advance(cancel);
        return r.Terminated && !IsPhysicalEnd(rig.TerminationReason) ? new StepResult(r.Reward, false, true) : r;
    }
}
