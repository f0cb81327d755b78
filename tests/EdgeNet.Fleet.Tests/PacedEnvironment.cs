using EdgeNet.Rig.Environments;

namespace EdgeNet.Fleet.Tests;

/// <summary>Virtual time slowed to about a tick per 0.2 ms (a millisecond's sleep every 5 steps): announcements, restarts and other threads land while the loop still runs.</summary>
internal sealed class PacedEnvironment(IEnvironment inner) : IEnvironment
{
    private int _n;

    public int ObservationSize => inner.ObservationSize;

    public int ActionCount => inner.ActionCount;

    public ReadOnlySpan<float> Observation => inner.Observation;

    public ReadOnlySpan<float> Reset(int? seed = null) => inner.Reset(seed);

    public StepResult Step(int action)
    {
        if (++_n % 5 == 0)
        {
            Thread.Sleep(1);
        }

        return inner.Step(action);
    }
}
