namespace EdgeNet.Rig.Control;

/// <summary>
/// (x, x_dot, theta, theta_dot) from encoder counts: positions scaled from counts, velocities as finite
/// differences over the measured time between reads, low-pass filtered (weight <c>alpha</c> on the newest
/// difference). The first read after <see cref="Reset"/> gives zero velocities.
/// </summary>
public sealed class StateEstimator(double metresPerCount, double radiansPerCount, double alpha)
{
    private double _x;
    private double _theta;
    private double _time;
    private bool _primed;

    /// <summary>Cart position [m].</summary>
    public double X { get; private set; }

    /// <summary>Cart velocity [m/s], filtered.</summary>
    public double XDot { get; private set; }

    /// <summary>Pole angle from upright [rad].</summary>
    public double Theta { get; private set; }

    /// <summary>Pole angular velocity [rad/s], filtered.</summary>
    public double ThetaDot { get; private set; }

    /// <summary>Forgets the previous counts (the next update gives zero velocities).</summary>
    public void Reset() => _primed = false;

    /// <summary>Updates from the counts read at <paramref name="time"/> [s].</summary>
    public void Update(long cartCount, long poleCount, double time)
    {
        double x = cartCount * metresPerCount, theta = poleCount * radiansPerCount;
        if (_primed && time > _time)
        {
            double dt = time - _time;
            XDot += alpha * (((x - _x) / dt) - XDot);
            ThetaDot += alpha * (((theta - _theta) / dt) - ThetaDot);
        }
        else
        {
            XDot = 0;
            ThetaDot = 0;
        }

        (_x, _theta, _time, _primed) = (x, theta, time, true);
        (X, Theta) = (x, theta);
    }

    /// <summary>Writes (x, x_dot, theta, theta_dot) as floats.</summary>
    public void CopyTo(Span<float> observation)
    {
        observation[0] = (float)X;
        observation[1] = (float)XDot;
        observation[2] = (float)Theta;
        observation[3] = (float)ThetaDot;
    }
}
