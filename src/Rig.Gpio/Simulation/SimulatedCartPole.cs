using System.Device.Gpio;
using EdgeNet.Rig.Config;
using EdgeNet.Rig.Control;
using EdgeNet.Rig.Physics;

namespace EdgeNet.Rig.Simulation;

/// <summary>
/// The cart-pole rig at the GPIO level: the src/Rig physics (with its deviations: pole mass and length,
/// friction, motor lag, latency, noise) behind a <see cref="SimulatedGpioDriver"/> and a
/// <see cref="SimulatedPwmChannel"/>, wired as a <see cref="RigConfig"/> says. Each physics step it turns the
/// H-bridge's enable duty and IN1/IN2 levels into force (duty × the physics' push force, towards +x when IN2
/// is high and IN1 low, as dotnet/iot's DCMotor drives a positive speed), and the new angle and position into quadrature edges on the encoder pins (the
/// counts the encoders' resolution gives; sensor noise is added to the position before counting), and
/// presses the limit switches at the rail's ends, where the cart stops. Time only moves in
/// <see cref="AdvanceTo"/>; <see cref="SimulatedRigClock"/> calls it.
/// </summary>
public sealed class SimulatedCartPole : IRigOperator, IDisposable
{
    // The quadrature sequence A·2+B for +1 steps: 00 → 10 → 11 → 01.
    private static readonly int[] Gray = [0, 2, 3, 1];
    private const double PoleRest = 1.4; // the pole lies on its stop past ~80°

    private readonly SimulatedGpioDriver _driver;
    private readonly SimulatedPwmChannel _pwm;
    private readonly RigConfig _config;
    private readonly double[] _pending;
    private readonly double _countsPerMetre;
    private readonly double _countsPerRadian;
    private readonly Random _rng;
    private Random _episodes;
    private int _pendingHead;
    private double _force;
    private long _poleCount;
    private long _cartCount;
    private double _time;

    /// <summary>The physics behind the simulated GPIO lines and PWM channel of <paramref name="config"/>'s wiring.</summary>
    public SimulatedCartPole(RigConfig config, CartPoleOptions physics, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(physics);
        config.Validate("the simulated rig's configuration");
        physics.Validate();
        if (config.PoleEncoder.Decoding == EncoderDecoding.Evdev || config.CartEncoder.Decoding == EncoderDecoding.Evdev)
        {
            throw new RigConfigException("the simulated rig drives GPIO edges: give the encoders decoding x1, x2 or x4 (evdev needs the kernel driver on a board)");
        }

        _config = config;
        Physics = physics;
        _driver = new SimulatedGpioDriver();
        _pwm = new SimulatedPwmChannel(config.Motor.PwmFrequency);
        _pending = new double[physics.LatencyTicks];
        _countsPerMetre = CountsPerRevolutionX4(config.CartEncoder) / config.CartEncoder.MetresPerRevolution;
        _countsPerRadian = CountsPerRevolutionX4(config.PoleEncoder) / (2 * Math.PI);
        _rng = new Random(seed);
        _episodes = new Random(seed + 1);
        foreach (int pin in new[] { config.PoleEncoder.PinA, config.PoleEncoder.PinB, config.CartEncoder.PinA, config.CartEncoder.PinB, config.Switches.LimitLeft, config.Switches.LimitRight, config.Switches.EmergencyStop })
        {
            _driver.Claim(pin);
        }

        var released = config.Switches.ActiveLow ? PinValue.High : PinValue.Low;
        _driver.Drive(config.Switches.LimitLeft, released);
        _driver.Drive(config.Switches.LimitRight, released);
        _driver.Drive(config.Switches.EmergencyStop, released);
    }

    /// <summary>The chip the program opens (<c>new GpioController(rig.Driver)</c>).</summary>
    public SimulatedGpioDriver Driver => _driver;

    /// <summary>The H-bridge enable's PWM.</summary>
    public SimulatedPwmChannel Pwm => _pwm;

    /// <summary>The physics, with the deviations from CartPole-v1 it was given.</summary>
    public CartPoleOptions Physics { get; }

    /// <summary>The true state.</summary>
    public CartPoleState State { get; private set; }

    /// <summary>Simulated time [s].</summary>
    public double Time => _time;

    /// <summary>The force on the cart in the last step [N].</summary>
    public double Force => _force;

    /// <summary>Physics steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>An operator holds the pole upright (homing on hardware waits for this).</summary>
    public bool HoldPole { get; set; }

    /// <summary>The force the motor would command now from the pins: duty × push force, +x with IN2 high and IN1 low (0 when both are equal: brake).</summary>
    public double CommandedForce()
    {
        bool in1 = _driver.Level(_config.Motor.In1) == PinValue.High, in2 = _driver.Level(_config.Motor.In2) == PinValue.High;
        int dir = in1 == in2 ? 0 : in2 ? 1 : -1;
        return dir * _pwm.EffectiveDuty * Physics.ForceMagnitude;
    }

    /// <summary>Integrates the physics in steps of tau up to <paramref name="time"/> [s], emitting the encoder edges and switch levels of each step.</summary>
    public void AdvanceTo(double time)
    {
        double tau = Physics.Tau;
        while (_time + tau <= time + (tau * 1e-6))
        {
            StepPhysics();
            _time += tau;
        }
    }

    /// <summary>Places the rig in <paramref name="state"/> (an operator resetting it: the encoders follow as if moved by hand); the motor's lag and latency start idle.</summary>
    public void Place(in CartPoleState state)
    {
        State = state;
        _force = 0;
        Array.Clear(_pending);
        _pendingHead = 0;
        EmitEncoders();
        UpdateSwitches();
    }

    /// <summary>The operator's reset: a CartPole-v1 start state from the simulator's generator (reseeded when a seed is given).</summary>
    public void StartEpisode(int? seed)
    {
        if (seed is int s)
        {
            _episodes = new Random(s);
        }

        Place(StartState(_episodes));
    }

    /// <summary>A CartPole-v1 start state (each value uniform in ±0.05) from <paramref name="rng"/>.</summary>
    public static CartPoleState StartState(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        double U() => (rng.NextDouble() * 0.1) - 0.05;
        return new CartPoleState(U(), U(), U(), U());
    }

    /// <summary>Presses or releases the emergency stop.</summary>
    public void EmergencyStop(bool pressed) =>
        _driver.Drive(_config.Switches.EmergencyStop, pressed == _config.Switches.ActiveLow ? PinValue.Low : PinValue.High);

    private void StepPhysics()
    {
        double command = CommandedForce();
        if (_pending.Length > 0)
        {
            double due = _pending[_pendingHead];
            _pending[_pendingHead] = command;
            _pendingHead = (_pendingHead + 1) % _pending.Length;
            command = due;
        }

        var o = Physics;
        _force = o.MotorLag > 0 ? _force + ((command - _force) * (1 - Math.Exp(-o.Tau / o.MotorLag))) : command;
        var s = CartPolePhysics.Step(State, _force, o);
        if (HoldPole)
        {
            s = s with { Theta = 0, ThetaDot = 0 };
        }
        else if (Math.Abs(s.Theta) > PoleRest)
        {
            s = s with { Theta = Math.Sign(s.Theta) * PoleRest, ThetaDot = 0 };
        }

        double end = _config.RailLength / 2;
        if (Math.Abs(s.X) > end)
        {
            s = s with { X = Math.Sign(s.X) * end, XDot = 0 };
        }

        State = s;
        Steps++;
        EmitEncoders();
        UpdateSwitches();
    }

    // The end switches close when the cart reaches a rail end.
    private void UpdateSwitches()
    {
        double end = _config.RailLength / 2;
        var pressed = _config.Switches.ActiveLow ? PinValue.Low : PinValue.High;
        var released = _config.Switches.ActiveLow ? PinValue.High : PinValue.Low;
        _driver.Drive(_config.Switches.LimitLeft, State.X <= -end ? pressed : released);
        _driver.Drive(_config.Switches.LimitRight, State.X >= end ? pressed : released);
    }

    private void EmitEncoders()
    {
        double noise = Physics.SensorNoise;
        var s = State;
        long pole = (long)Math.Round((s.Theta + Gaussian(noise)) * _countsPerRadian);
        long cart = (long)Math.Round((s.X + Gaussian(noise)) * _countsPerMetre);
        _poleCount = Emit(_config.PoleEncoder, _poleCount, pole);
        _cartCount = Emit(_config.CartEncoder, _cartCount, cart);
    }

    // Walks the quadrature sequence from the current count to the target, one level change at a time.
    private long Emit(EncoderConfig e, long from, long to)
    {
        int sign = e.Invert ? -1 : 1;
        while (from != to)
        {
            from += Math.Sign(to - from);
            int state = Gray[(int)(((sign * from) % 4) + 4) % 4];
            _driver.Drive(e.PinA, (state & 2) != 0 ? PinValue.High : PinValue.Low);
            _driver.Drive(e.PinB, (state & 1) != 0 ? PinValue.High : PinValue.Low);
        }

        return from;
    }

    private double Gaussian(double std)
    {
        if (std == 0)
        {
            return 0;
        }

        double u1 = 1.0 - _rng.NextDouble(), u2 = _rng.NextDouble();
        return std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Counts per revolution of the physical encoder at x4 (what the simulator emits edges for).</summary>
    private static double CountsPerRevolutionX4(EncoderConfig e) => e.Decoding switch
    {
        EncoderDecoding.X1 => e.CountsPerRevolution * 4.0,
        EncoderDecoding.X2 => e.CountsPerRevolution * 2.0,
        _ => e.CountsPerRevolution,
    };

    /// <summary>Stops the simulation.</summary>
    public void Dispose()
    {
        _pwm.Dispose();
        _driver.Dispose();
    }
}
