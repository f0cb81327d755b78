using System.Device.Gpio;
using System.Device.Pwm;
using Iot.Device.DCMotor;

namespace EdgeNet.Rig.Devices.Motor;

/// <summary>
/// The cart's DC motor behind an H-bridge, through dotnet/iot's <see cref="DCMotor"/> (PWM on the enable pin,
/// direction on IN1/IN2). Adds what a rig needs around it: a safety latch — <see cref="Trip"/> stops the motor
/// at once from any thread (a limit-switch callback, the watchdog, a signal handler) and refuses speeds until
/// <see cref="Rearm"/> — and the reason it tripped. The PWM channel and the controller come from outside.
/// </summary>
public sealed class HBridgeMotor : IDisposable
{
    private readonly DCMotor _motor;
    private readonly Lock _gate = new();
    private double _speed;
    private string? _trip;

    /// <param name="pwm">The enable pin's PWM (a hardware channel, a PCA9685 channel, or the simulator's).</param>
    /// <param name="in1">IN1 (DCMotor's first pin): high for a negative speed, towards −x.</param>
    /// <param name="in2">IN2: high for a positive speed, towards +x.</param>
    /// <param name="gpio">The controller that owns IN1/IN2 (not disposed here).</param>
    public HBridgeMotor(PwmChannel pwm, int in1, int in2, GpioController gpio)
    {
        ArgumentNullException.ThrowIfNull(pwm);
        ArgumentNullException.ThrowIfNull(gpio);
        _motor = DCMotor.Create(pwm, in1, in2, gpio, shouldDispose: false);
        _motor.Speed = 0;
    }

    /// <summary>Signed duty in [−1, 1]; writes are ignored (the motor stays stopped) while tripped.</summary>
    public double Speed
    {
        get => _speed;
        set
        {
            double v = Math.Clamp(value, -1, 1);
            lock (_gate)
            {
                if (_trip is not null || _speed == v)
                {
                    return;
                }

                _motor.Speed = v;
                _speed = v;
            }
        }
    }

    /// <summary>Why the motor was stopped by <see cref="Trip"/>; null while it may run.</summary>
    public string? TripReason => Volatile.Read(ref _trip);

    /// <summary>True after <see cref="Trip"/> until <see cref="Rearm"/>.</summary>
    public bool IsTripped => TripReason is not null;

    /// <summary>Raised once per trip, on the thread that tripped it.</summary>
    public event Action<string>? Tripped;

    /// <summary>Stops the motor now and latches it off; the first reason is kept.</summary>
    public void Trip(string reason)
    {
        bool first;
        lock (_gate)
        {
            first = _trip is null;
            _trip ??= reason;
            _motor.Speed = 0;
            _speed = 0;
        }

        if (first)
        {
            Tripped?.Invoke(reason);
        }
    }

    /// <summary>Stops the motor without latching it (between episodes, homing done).</summary>
    public void Stop() => Speed = 0;

    /// <summary>Clears the latch (the caller checked that the cause is gone); the motor stays stopped until a new speed.</summary>
    public void Rearm()
    {
        lock (_gate)
        {
            _trip = null;
        }
    }

    /// <summary>Stops the motor and releases the PWM channel and pins.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _motor.Speed = 0;
            _speed = 0;
        }

        _motor.Dispose();
    }
}
