using System.Diagnostics;

namespace EdgeNet.Runtime.Input.Camera;

/// <summary>
/// Frames per second as a live display shows it: the frames that arrived within the last second, over the time
/// they took. Keeps the last 64 arrival times; nothing is allocated per frame.
/// </summary>
public sealed class FrameRate
{
    private readonly long[] _arrivals = new long[64];   // [64] Stopwatch timestamps, a ring
    private readonly long _window;
    private long _count;

    /// <summary>A rate over the last <paramref name="window"/> (one second by default).</summary>
    public FrameRate(TimeSpan? window = null)
    {
        _window = (long)((window ?? TimeSpan.FromSeconds(1)).TotalSeconds * Stopwatch.Frequency);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_window, 0, nameof(window));
    }

    /// <summary>Frames per second after the last <see cref="Arrived"/>; NaN until two frames arrived within the window.</summary>
    public double PerSecond { get; private set; } = double.NaN;

    /// <summary>Records a frame that arrived at <paramref name="timestamp"/> (<see cref="Stopwatch.GetTimestamp"/>, increasing).</summary>
    public void Arrived(long timestamp)
    {
        int n = _arrivals.Length;
        _arrivals[_count++ % n] = timestamp;
        int kept = (int)Math.Min(_count, n), frames = 0;
        long oldest = timestamp;
        for (int back = 1; back < kept; back++)
        {
            long t = _arrivals[(int)((_count - 1 - back) % n)];
            if (timestamp - t > _window)
            {
                break;
            }

            (oldest, frames) = (t, back);
        }

        PerSecond = frames == 0 || timestamp == oldest ? double.NaN : frames * (double)Stopwatch.Frequency / (timestamp - oldest);
    }
}
