using System.Diagnostics;

namespace EdgeNet.Rig.Control;

/// <summary>
/// Stops the motor when the control loop stalls: while armed, a background thread checks that
/// <see cref="Feed"/> was called within <c>ticks × period</c> of wall time (a stalled loop is a wall-time
/// event whatever the rig's clock) and otherwise calls the trip action once. Disarm it while the motor is
/// stopped on purpose (between episodes, checkpoints).
/// </summary>
public sealed class Watchdog : IDisposable
{
    private readonly double _timeout;
    private readonly Action<string> _trip;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private long _lastFeed;
    private volatile bool _armed;

    /// <summary>A watchdog on its own thread: once armed, <paramref name="ticks"/> periods of <paramref name="period"/> seconds without a feed call <paramref name="trip"/> with the reason.</summary>
    public Watchdog(double period, int ticks, Action<string> trip)
    {
        ArgumentNullException.ThrowIfNull(trip);
        _timeout = period * ticks;
        _trip = trip;
        _thread = new Thread(Run) { IsBackground = true, Name = "rig watchdog", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>Times the watchdog stopped the motor.</summary>
    public int Trips { get; private set; }

    /// <summary>Starts watching (counts from now).</summary>
    public void Arm()
    {
        Feed();
        _armed = true;
    }

    /// <summary>Stops watching until armed again.</summary>
    public void Disarm() => _armed = false;

    /// <summary>The loop is alive.</summary>
    public void Feed() => Interlocked.Exchange(ref _lastFeed, Stopwatch.GetTimestamp());

    private void Run()
    {
        var poll = TimeSpan.FromSeconds(Math.Max(0.001, _timeout / 6));
        while (!_stop.Token.WaitHandle.WaitOne(poll))
        {
            if (!_armed)
            {
                continue;
            }

            double silent = (Stopwatch.GetTimestamp() - Interlocked.Read(ref _lastFeed)) / (double)Stopwatch.Frequency;
            if (silent > _timeout)
            {
                _armed = false;
                Trips++;
                _trip($"watchdog: the control loop was silent for {silent * 1000:F0} ms (limit {_timeout * 1000:F0} ms)");
            }
        }
    }

    /// <summary>Stops the watchdog's thread.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
