using EdgeNet.Runtime;

namespace EdgeNet.Fleet.Board;

/// <summary>How a board acts in the fleet.</summary>
public sealed record FleetActorOptions
{
    /// <summary>Exploration: a uniformly random action with this probability (Ape-X gives each actor its own).</summary>
    public double Epsilon { get; init; } = 0.04;

    /// <summary>Transitions per batch (50: one batch a second at 50 Hz).</summary>
    public int BatchTransitions { get; init; } = 50;

    /// <summary>Batches the outbox holds while the network is away (3,600: an hour at one a second, 7.4 MB of cart-pole batches).</summary>
    public int OutboxBatches { get; init; } = 3_600;

    /// <summary>Where announced blobs are written before they are loaded (the board's model folder).</summary>
    public string ModelDirectory { get; init; } = "fleet-models";

    /// <summary>The kernels the actor runs.</summary>
    public KernelVariant Variant { get; init; } = KernelVariant.Simd;

    /// <summary>Seeds the exploration.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>One episode a board finished.</summary>
/// <param name="Episode">Episodes so far, this one included.</param>
/// <param name="Ticks">Ticks so far.</param>
/// <param name="Return">The episode's return.</param>
/// <param name="ModelVersion">The model acting at its end.</param>
public readonly record struct FleetEpisode(long Episode, long Ticks, float Return, uint ModelVersion);
