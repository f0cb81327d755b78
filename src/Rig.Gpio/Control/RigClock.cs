using System.Diagnostics;

namespace EdgeNet.Rig.Control;

/// <summary>The control loop's time source: a monotonic clock on hardware, the simulator's on a simulated rig.</summary>
public interface IRigClock
{
    /// <summary>Seconds since the clock started (monotonic).</summary>
    double Now { get; }

    /// <summary>True when the clock is wall time (a board, or the simulator in real time); false for the simulator's
    /// virtual time, which stands still while the loop computes, so a stalled loop cannot hurt anything.</summary>
    bool RealTime { get; }

    /// <summary>Returns at <paramref name="time"/> [s] (at once if past); a cancellation returns early.</summary>
    void WaitUntil(double time, CancellationToken cancel);
}

/// <summary>
/// Wall time from <see cref="Stopwatch"/> (CLOCK_MONOTONIC on Linux): sleeps until about a millisecond
/// before the deadline and spins the rest, as the scheduler's wake-up latency on a Pi is 0.1–1 ms.
/// </summary>
public sealed class MonotonicClock : IRigClock
{
    private const double SpinSeconds = 0.0015;
    private readonly long _start = Stopwatch.GetTimestamp();

    /// <inheritdoc/>
    public double Now => (Stopwatch.GetTimestamp() - _start) / (double)Stopwatch.Frequency;

    /// <inheritdoc/>
    public bool RealTime => true;

    /// <inheritdoc/>
    public void WaitUntil(double time, CancellationToken cancel)
    {
        double left = time - Now;
        if (left > SpinSeconds)
        {
            cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(left - SpinSeconds));
        }

        var spin = default(SpinWait);
        while (Now < time && !cancel.IsCancellationRequested)
        {
            spin.SpinOnce(-1);
        }
    }
}
