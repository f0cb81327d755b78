using System.Device.Pwm;

namespace EdgeNet.Rig.Simulation;

/// <summary>A PWM channel in memory: the simulated rig reads its duty cycle while it runs.</summary>
public sealed class SimulatedPwmChannel : PwmChannel
{
    private double _duty;

    /// <summary>A stopped channel at <paramref name="frequency"/> Hz.</summary>
    public SimulatedPwmChannel(int frequency = 20_000) => Frequency = frequency;

    /// <inheritdoc/>
    public override int Frequency { get; set; }

    /// <inheritdoc/>
    public override double DutyCycle
    {
        get => Volatile.Read(ref _duty);
        set
        {
            if (!(value is >= 0 and <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "a PWM duty cycle is in [0, 1]");
            }

            Volatile.Write(ref _duty, value);
        }
    }

    /// <summary>True between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    public bool Running { get; private set; }

    /// <summary>The duty the enable pin sees now (0 while stopped).</summary>
    public double EffectiveDuty => Running ? DutyCycle : 0;

    /// <inheritdoc/>
    public override void Start() => Running = true;

    /// <inheritdoc/>
    public override void Stop() => Running = false;
}
