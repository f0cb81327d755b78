using System.Device.Gpio;
using System.Device.Pwm;
using System.Diagnostics;
using EdgeNet.Rig.Config;
using EdgeNet.Rig.Control;
using EdgeNet.Rig.Devices.Encoders;
using EdgeNet.Rig.Devices.Motor;
using EdgeNet.Rig.Devices.Switches;
using EdgeNet.Rig.Environments;

namespace EdgeNet.Rig.CartPole;

/// <summary>
/// The cart-pole rig over GPIO as an <see cref="IEnvironment"/>: the motor through an H-bridge
/// (<see cref="HBridgeMotor"/> over dotnet/iot's DCMotor), the angle and the position from encoders, limit
/// switches and an emergency stop, a control loop on a monotonic clock. The same code runs on a board
/// (a <see cref="GpioController"/> over libgpiod, a sysfs PWM channel) and on the simulator
/// (<see cref="Simulation.SimulatedGpioDriver"/>): device objects come from outside.
/// <para>
/// A tick: <see cref="Apply"/> sets the motor for the action, the caller may learn, <see cref="Advance"/> waits
/// for the next deadline and reads the state (<see cref="Step"/> does both). Safety: a limit switch or the
/// emergency stop trips the motor from its edge callback; the angle and travel limits stop it in the tick
/// they are seen; the watchdog trips it when the loop is silent for <see cref="RigConfig.WatchdogTicks"/>
/// ticks of wall time (armed on a real-time clock only: virtual time stands still while the loop computes); <see cref="Halt"/> (signals, exceptions) trips it from anywhere. Between episodes the simulator
/// places the rig (<see cref="IRigOperator"/>); a physical rig homes: finds the left end switch once, drives
/// slowly to the centre and waits until the pole has been held upright for a second.
/// </para>
/// </summary>
public sealed class GpioCartPoleRig : IEnvironment, IDisposable
{
    private readonly RigConfig _config;
    private readonly GpioController _gpio;
    private readonly IRigClock _clock;
    private readonly IRigOperator? _operator;
    private readonly HBridgeMotor _motor;
    private readonly IEncoderSource _pole;
    private readonly IEncoderSource _cart;
    private readonly SafetySwitches _switches;
    private readonly Watchdog _watchdog;
    private readonly StateEstimator _estimator;
    private readonly float[] _observation = new float[4];
    private readonly double _metresPerCount;
    private long _cartZero;
    private bool _homed;
    private double _next;
    private double _lateness;
    private long _workStart;
    private bool _needsReset = true;

    /// <param name="config">Wiring and limits (validated here).</param>
    /// <param name="gpio">The controller of every pin (not disposed here).</param>
    /// <param name="pwm">The H-bridge enable's PWM channel (not disposed here).</param>
    /// <param name="clock">The loop's time.</param>
    /// <param name="rigOperator">Resets episodes directly (the simulator); null: home between episodes.</param>
    public GpioCartPoleRig(RigConfig config, GpioController gpio, PwmChannel pwm, IRigClock clock, IRigOperator? rigOperator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(gpio);
        ArgumentNullException.ThrowIfNull(clock);
        config.Validate();
        (_config, _gpio, _clock, _operator) = (config, gpio, clock, rigOperator);
        var opened = new List<IDisposable>();
        try
        {
            _motor = Devices.RigPins.Guard("motor.in1/in2", config.Motor.In1, config.Motor.In2, () => new HBridgeMotor(pwm, config.Motor.In1, config.Motor.In2, gpio));
            opened.Add(_motor);
            _pole = EncoderSources.Open(config.PoleEncoder, gpio, "pole_encoder");
            opened.Add(_pole);
            _cart = EncoderSources.Open(config.CartEncoder, gpio, "cart_encoder");
            opened.Add(_cart);
            _switches = new SafetySwitches(gpio, config.Switches);
            opened.Add(_switches);
        }
        catch
        {
            for (int i = opened.Count - 1; i >= 0; i--)
            {
                opened[i].Dispose();
            }

            throw;
        }

        _switches.Pressed += s => _motor.Trip(SafetySwitches.Describe(s) + " pressed");
        _watchdog = new Watchdog(config.Period, config.WatchdogTicks, Halt);
        _metresPerCount = config.CartEncoder.MetresPerRevolution / config.CartEncoder.CountsPerRevolution;
        _estimator = new StateEstimator(_metresPerCount, 2 * Math.PI / config.PoleEncoder.CountsPerRevolution, config.VelocityFilter);
        _homed = rigOperator is not null;
    }

    /// <summary>The rig's wiring and limits.</summary>
    public RigConfig Config => _config;

    /// <inheritdoc/>
    public int ObservationSize => 4;

    /// <inheritdoc/>
    public int ActionCount => 2;

    /// <inheritdoc/>
    public ReadOnlySpan<float> Observation => _observation;

    /// <summary>Ticks of the current episode.</summary>
    public int ElapsedSteps { get; private set; }

    /// <summary>Episode length limit (CartPole-v1: 500 ticks).</summary>
    public int MaxSteps { get; init; } = 500;

    /// <summary>Why the last episode ended (null while running or truncated).</summary>
    public string? TerminationReason { get; private set; }

    /// <summary>The loop's timing: wake-up jitter, work per tick, overruns.</summary>
    public LoopStats Stats { get; } = new();

    /// <summary>The motor (tests and the self-test read its state).</summary>
    public HBridgeMotor Motor => _motor;

    /// <summary>The pole's angle encoder.</summary>
    public IEncoderSource PoleEncoder => _pole;

    /// <summary>The cart's position encoder.</summary>
    public IEncoderSource CartEncoder => _cart;

    /// <summary>The end switches and the emergency stop.</summary>
    public SafetySwitches Switches => _switches;

    /// <summary>The watchdog that stops the motor when the loop stalls (armed on a real-time clock only).</summary>
    public Watchdog Watchdog => _watchdog;

    /// <summary>The clock the control loop waits on (monotonic on a board, virtual in the simulator).</summary>
    public IRigClock Clock => _clock;

    /// <summary>Status lines from homing (what the operator should do).</summary>
    public event Action<string>? Status;

    /// <summary>
    /// Each control tick (homing's too), on the loop's thread, with the loop clock's time [s] (the service's watchdog
    /// pings from here, so a stalled loop is what stops them).
    /// </summary>
    public event Action<double>? Ticked;

    /// <summary>Stops the motor now and latches it off (signal handlers, exceptions, the watchdog).</summary>
    public void Halt(string reason) => _motor.Trip(reason);

    /// <inheritdoc/>
    public ReadOnlySpan<float> Reset(int? seed = null) => Reset(seed, CancellationToken.None);

    /// <summary>
    /// Ends any episode, puts the rig in a start state (the simulator) or homes it (hardware), and reads the
    /// first observation. Throws <see cref="OperationCanceledException"/> once <paramref name="cancel"/> is set,
    /// without rearming the motor.
    /// </summary>
    public ReadOnlySpan<float> Reset(int? seed, CancellationToken cancel)
    {
        _watchdog.Disarm();
        _motor.Stop();
        cancel.ThrowIfCancellationRequested(); // a stop (a signal) is never rearmed by the next episode
        if (_switches.IsPressed(RigSwitch.EmergencyStop))
        {
            throw new RigSafetyException("the emergency stop is pressed: release it when the rig is safe, then start again");
        }

        if (_operator is not null)
        {
            _operator.StartEpisode(seed);
        }
        else
        {
            Home(cancel);
        }

        if (_switches.AnyPressed() is RigSwitch pressed)
        {
            throw new RigSafetyException($"the {SafetySwitches.Describe(pressed)} is pressed at the start of an episode: move the cart off it (and check x_limit < rail_length / 2)");
        }

        _motor.Rearm();
        TerminationReason = null;
        ElapsedSteps = 0;
        _estimator.Reset();
        double now = _clock.Now;
        Read(now);
        _next = now + _config.Period;
        _lateness = 0;
        _workStart = Stopwatch.GetTimestamp();
        _needsReset = false;
        if (_clock.RealTime)
        {
            _watchdog.Arm(); // in virtual time the physics waits for the loop: a slow tick (a cold start, a busy machine) is no stall
        }

        return _observation;
    }

    /// <inheritdoc/>
    public StepResult Step(int action)
    {
        Apply(action);
        return Advance();
    }

    /// <summary>Drives the motor for <paramref name="action"/> (0: push left, 1: push right) until the next tick.</summary>
    public void Apply(int action)
    {
        if (_needsReset)
        {
            throw new InvalidOperationException("GpioCartPoleRig: the episode has ended (or never started); call Reset() before Apply()/Step()");
        }

        if ((uint)action > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "cart-pole actions are 0 (push left) and 1 (push right)");
        }

        _motor.Speed = action == 1 ? _config.Motor.PushDuty : -_config.Motor.PushDuty;
    }

    /// <summary>Waits for the next tick, reads the state and applies the safety limits.</summary>
    public StepResult Advance(CancellationToken cancel = default)
    {
        if (_needsReset)
        {
            throw new InvalidOperationException("GpioCartPoleRig: the episode has ended (or never started); call Reset() first");
        }

        double period = _config.Period;
        Stats.Record(_lateness, (Stopwatch.GetTimestamp() - _workStart) / (double)Stopwatch.Frequency, period);
        _clock.WaitUntil(_next, cancel);
        double now = _clock.Now;
        _workStart = Stopwatch.GetTimestamp();
        _watchdog.Feed();
        Ticked?.Invoke(now);
        _lateness = Math.Max(0, now - _next);
        _next += period;
        while (_next <= now)
        {
            _next += period; // a missed deadline is not caught up by running ticks back to back
        }

        Read(now);
        ElapsedSteps++;
        string? reason = _motor.TripReason;
        if (reason is null && Math.Abs(_estimator.X) > _config.XLimit)
        {
            reason = $"travel limit: x {_estimator.X:F3} m beyond ±{_config.XLimit} m";
        }
        else if (reason is null && Math.Abs(_estimator.Theta) > _config.ThetaLimit)
        {
            reason = $"angle limit: theta {_estimator.Theta * 180 / Math.PI:F1}° beyond ±{_config.ThetaLimitDegrees}°";
        }

        bool terminated = reason is not null || cancel.IsCancellationRequested;
        bool truncated = !terminated && ElapsedSteps >= MaxSteps;
        if (terminated || truncated)
        {
            _motor.Stop();
            _watchdog.Disarm();
            _needsReset = true;
            TerminationReason = reason ?? (cancel.IsCancellationRequested ? "cancelled" : null);
        }

        return new StepResult(1f, terminated, truncated);
    }

    /// <summary>The cart position [m] and pole angle [rad] the encoders give now.</summary>
    public (double X, double Theta) ReadPositions() =>
        ((_cart.Count - _cartZero) * _metresPerCount, _pole.Count * 2 * Math.PI / _config.PoleEncoder.CountsPerRevolution);

    private void Read(double now)
    {
        _estimator.Update(_cart.Count - _cartZero, _pole.Count, now);
        _estimator.CopyTo(_observation);
    }

    // Hardware: the left end switch once (it zeroes the cart encoder at −rail/2), the centre slowly, then an upright pole held still.
    private void Home(CancellationToken cancel)
    {
        double period = _config.Period, duty = _config.Motor.HomeDuty;
        double t = _clock.Now;
        if (!_homed)
        {
            Status?.Invoke("homing: driving to the left end switch");
            _motor.Rearm();
            double deadline = t + 60;
            while (!_motor.IsTripped)
            {
                _motor.Speed = -duty;
                _watchdog.Feed();
                t += period;
                _clock.WaitUntil(t, cancel);
                Ticked?.Invoke(_clock.Now);
                if (cancel.IsCancellationRequested || _clock.Now > deadline)
                {
                    _motor.Trip("homing stopped");
                    throw new RigSafetyException("homing: the left end switch was not reached in 60 s: check the motor (edgenet rig selftest) and switches.limit_left");
                }
            }

            if (!_switches.IsPressed(RigSwitch.LimitLeft))
            {
                throw new RigSafetyException($"homing stopped before the left end: {_motor.TripReason}");
            }

            _cartZero = _cart.Count + (long)Math.Round(_config.RailLength / 2 / _metresPerCount);
            _motor.Rearm();
            _homed = true;
        }

        Status?.Invoke("homing: driving to the centre");
        _estimator.Reset();
        double settled = 0, end = t + 60;
        while (settled < 0.5)
        {
            _estimator.Update(_cart.Count - _cartZero, _pole.Count, _clock.Now);
            double x = _estimator.X, v = _estimator.XDot;
            settled = Math.Abs(x) < 0.01 && Math.Abs(v) < 0.02 ? settled + period : 0;
            _motor.Speed = Math.Clamp((-2.0 * x) - (1.0 * v), -duty, duty);
            t += period;
            _clock.WaitUntil(t, cancel);
            Ticked?.Invoke(_clock.Now);
            if (_motor.IsTripped || cancel.IsCancellationRequested || _clock.Now > end)
            {
                _motor.Trip(_motor.TripReason ?? "homing stopped");
                throw new RigSafetyException($"homing: the cart did not settle at the centre ({_motor.TripReason}); check the motor direction and cart_encoder (edgenet rig selftest)");
            }
        }

        _motor.Stop();
        Status?.Invoke($"hold the pole upright and still for {_config.HoldUprightSeconds} s");
        double held = 0;
        end = _clock.Now + 120;
        _estimator.Reset();
        while (held < _config.HoldUprightSeconds)
        {
            t += period;
            _clock.WaitUntil(t, cancel);
            Ticked?.Invoke(_clock.Now);
            _estimator.Update(_cart.Count - _cartZero, _pole.Count, _clock.Now);
            held = Math.Abs(_estimator.Theta) < Math.PI / 180 && Math.Abs(_estimator.ThetaDot) < 0.1 ? held + period : 0;
            if (cancel.IsCancellationRequested || _clock.Now > end)
            {
                throw new RigSafetyException("the pole was not held upright and still within 120 s");
            }
        }
    }

    /// <summary>Stops the motor and releases the encoders, switches and watchdog.</summary>
    public void Dispose()
    {
        _watchdog.Dispose();
        _motor.Dispose();
        _switches.Dispose();
        _cart.Dispose();
        _pole.Dispose();
    }
}
