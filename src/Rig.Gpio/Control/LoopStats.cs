namespace EdgeNet.Rig.Control;

/// <summary>
/// The control loop's timing, in arrays sized once: per tick the wake-up lateness (jitter: actual minus
/// scheduled wake time) and the work time (reading, acting, learning); an overrun is a tick whose work ended
/// after the next tick's deadline. Percentiles over the last <see cref="Capacity"/> ticks.
/// </summary>
public sealed class LoopStats
{
    private readonly double[] _jitter;
    private readonly double[] _work;
    private readonly double[] _scratch;
    private long _ticks;

    /// <summary>Keeps the last <paramref name="capacity"/> ticks' timings (allocated here, never per tick).</summary>
    public LoopStats(int capacity = 16_384)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _jitter = new double[capacity];
        _work = new double[capacity];
        _scratch = new double[capacity];
    }

    /// <summary>How many ticks' timings are kept.</summary>
    public int Capacity => _jitter.Length;

    /// <summary>Ticks recorded.</summary>
    public long Ticks => _ticks;

    /// <summary>Ticks whose work ran past the next deadline.</summary>
    public long Overruns { get; private set; }

    /// <summary>The longest work of a tick [s].</summary>
    public double MaxWork { get; private set; }

    /// <summary>Records one tick: how late it woke and how long its work took [s], against <paramref name="period"/>.</summary>
    public void Record(double lateness, double work, double period)
    {
        int i = (int)(_ticks % _jitter.Length);
        _jitter[i] = lateness;
        _work[i] = work;
        _ticks++;
        MaxWork = Math.Max(MaxWork, work);
        if (lateness + work > period)
        {
            Overruns++;
        }
    }

    /// <summary>The <paramref name="q"/>-quantile (0..1) of the recorded wake-up lateness [s].</summary>
    public double Jitter(double q) => Quantile(_jitter, q);

    /// <summary>The <paramref name="q"/>-quantile of the recorded work per tick [s].</summary>
    public double Work(double q) => Quantile(_work, q);

    /// <summary>Forgets every recorded tick.</summary>
    public void Reset()
    {
        _ticks = 0;
        Overruns = 0;
        MaxWork = 0;
    }

    private double Quantile(double[] values, double q)
    {
        int n = (int)Math.Min(_ticks, values.Length);
        if (n == 0)
        {
            return double.NaN;
        }

        Array.Copy(values, _scratch, n);
        Array.Sort(_scratch, 0, n);
        return _scratch[Math.Clamp((int)Math.Ceiling(q * n) - 1, 0, n - 1)];
    }
}
