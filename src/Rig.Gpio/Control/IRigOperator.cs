namespace EdgeNet.Rig.Control;

/// <summary>
/// Someone who can put the rig into an episode's start state directly: the simulator (a reset, seeded as
/// Gym's). A physical rig has none and homes instead (<see cref="CartPole.GpioCartPoleRig"/>).
/// </summary>
public interface IRigOperator
{
    /// <summary>Places cart and pole in a start state (CartPole-v1's: each value uniform in ±0.05), reseeding when a seed is given.</summary>
    void StartEpisode(int? seed);
}

/// <summary>The loop stopped the motor for safety and cannot go on until a person acts (the message says what to do).</summary>
public sealed class RigSafetyException(string message) : Exception(message);
