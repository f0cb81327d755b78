using EdgeNet.Rig.Physics;

namespace EdgeNet.Rig.Environments;

/// <summary>
/// CartPole-v1 as an <see cref="IEnvironment"/>: observation (x, x_dot, theta, theta_dot) as float,
/// actions 0 = push left, 1 = push right, reward 1 per step including the last, terminated at ±12° or
/// ±2.4 m, truncated after 500 steps, start state uniform in ±0.05. The deviations of
/// <see cref="CartPoleOptions"/> act where a real rig has them: latency and motor lag between the
/// action and the force, friction in the dynamics, encoder quantization and noise on the
/// observation only (termination always reads the true state).
/// </summary>
public sealed class CartPoleEnv : IEnvironment
{
    /// <summary>Observation names and units, in order.</summary>
    public static readonly string[] ObservationNames = ["x [m]", "x_dot [m/s]", "theta [rad]", "theta_dot [rad/s]"];

    /// <summary>Action names, by index.</summary>
    public static readonly string[] ActionNames = ["push left", "push right"];

    private readonly float[] _observation = new float[4];
    private readonly int[] _pending;
    private Random _rng;
    private CartPoleState _state;
    private double _force;
    private int _pendingHead;
    private int _steps;
    private bool _needsReset = true;

    /// <summary>CartPole-v1 (or the rig's deviations in <paramref name="options"/>); <paramref name="seed"/> seeds the start states.</summary>
    public CartPoleEnv(CartPoleOptions? options = null, int? seed = null)
    {
        Options = options ?? CartPoleOptions.Default;
        Options.Validate();
        _pending = new int[Options.LatencyTicks];
        _rng = seed is int s ? new Random(s) : new Random();
    }

    /// <summary>The physics and deviations this environment runs.</summary>
    public CartPoleOptions Options { get; }

    /// <inheritdoc/>
    public int ObservationSize => 4;

    /// <inheritdoc/>
    public int ActionCount => 2;

    /// <summary>The true state (double precision), as the physics has it.</summary>
    public CartPoleState State => _state;

    /// <summary>Steps taken in this episode.</summary>
    public int ElapsedSteps => _steps;

    /// <inheritdoc/>
    public ReadOnlySpan<float> Observation => _observation;

    /// <inheritdoc/>
    public ReadOnlySpan<float> Reset(int? seed = null)
    {
        if (seed is int s)
        {
            _rng = new Random(s);
        }

        _state = new CartPoleState(Uniform(), Uniform(), Uniform(), Uniform());
        _force = 0;
        _steps = 0;
        _needsReset = false;
        Array.Clear(_pending);
        _pendingHead = 0;
        Observe();
        return _observation;
    }

    /// <summary>Starts an episode from a given state (tests, hardware resets).</summary>
    public ReadOnlySpan<float> Reset(in CartPoleState state)
    {
        Reset();
        _state = state;
        Observe();
        return _observation;
    }

    /// <inheritdoc/>
    public StepResult Step(int action)
    {
        if (_needsReset)
        {
            throw new InvalidOperationException("CartPoleEnv: the episode has ended (or never started); call Reset() before Step()");
        }

        if ((uint)action > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "CartPole actions are 0 (push left) and 1 (push right)");
        }

        int applied = action;
        if (_pending.Length > 0)
        {
            // The action issued LatencyTicks ticks ago acts now; until then the motor is idle (no force).
            applied = _pending[_pendingHead] - 1;
            _pending[_pendingHead] = action + 1;
            _pendingHead = (_pendingHead + 1) % _pending.Length;
        }

        double command = applied < 0 ? 0 : applied == 1 ? Options.ForceMagnitude : -Options.ForceMagnitude;
        _force = Options.MotorLag > 0 ? _force + ((command - _force) * (1 - Math.Exp(-Options.Tau / Options.MotorLag))) : command;
        _state = CartPolePhysics.Step(_state, _force, Options);
        _steps++;
        bool terminated = CartPolePhysics.IsTerminal(_state, Options);
        bool truncated = _steps >= Options.MaxSteps;
        _needsReset = terminated || truncated;
        Observe();
        return new StepResult(1f, terminated, truncated);
    }

    private double Uniform() => (_rng.NextDouble() * 0.1) - 0.05;

    private void Observe()
    {
        var o = Options;
        double x = o.PositionResolution > 0 ? Math.Round(_state.X / o.PositionResolution) * o.PositionResolution : _state.X;
        double theta = o.AngleResolution > 0 ? Math.Round(_state.Theta / o.AngleResolution) * o.AngleResolution : _state.Theta;
        _observation[0] = (float)(x + Noise());
        _observation[1] = (float)(_state.XDot + Noise());
        _observation[2] = (float)(theta + Noise());
        _observation[3] = (float)(_state.ThetaDot + Noise());
    }

    private double Noise()
    {
        if (Options.SensorNoise == 0)
        {
            return 0;
        }

        // Box-Muller: one standard normal draw per value.
        double u1 = 1.0 - _rng.NextDouble(), u2 = _rng.NextDouble();
        return Options.SensorNoise * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
