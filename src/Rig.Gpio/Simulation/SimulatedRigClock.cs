using System.Diagnostics;
using EdgeNet.Rig.Control;

namespace EdgeNet.Rig.Simulation;

/// <summary>
/// The simulated rig's time: virtual (the physics jumps to each deadline at once, so training runs as fast
/// as the board computes) or real (each deadline is waited for on the monotonic clock first, so the control
/// loop's jitter and overruns are those of this machine).
/// </summary>
public sealed class SimulatedRigClock(SimulatedCartPole rig, bool realTime) : IRigClock
{
    private readonly MonotonicClock _wall = new();

    /// <inheritdoc/>
    public bool RealTime => realTime;

    /// <inheritdoc/>
    public double Now => realTime ? _wall.Now : rig.Time;

    /// <inheritdoc/>
    public void WaitUntil(double time, CancellationToken cancel)
    {
        if (realTime)
        {
            _wall.WaitUntil(time, cancel);
        }

        rig.AdvanceTo(time);
    }
}
