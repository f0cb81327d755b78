using System.Globalization;
using System.Text;

namespace EdgeNet.Rig.Physics;

/// <summary>
/// The cart-pole's parameters: CartPole-v1 as published by default, plus the deviations a real rig
/// has (each off by default). Written and read as a spec string such as
/// <c>pole_mass=0.15,motor_lag=0.04,latency=1,noise=0.01</c> (<see cref="Parse"/>, <see cref="ToSpec"/>),
/// the one grammar of <c>--physics</c> in both programs and of the blob metadata <c>rl.env_options</c>.
/// </summary>
public sealed record CartPoleOptions
{
    /// <summary>CartPole-v1 exactly.</summary>
    public static CartPoleOptions Default { get; } = new();

    /// <summary>g [m/s²].</summary>
    public double Gravity { get; init; } = 9.8;

    /// <summary>Cart mass [kg].</summary>
    public double CartMass { get; init; } = 1.0;

    /// <summary>Pole mass [kg].</summary>
    public double PoleMass { get; init; } = 0.1;

    /// <summary>Half the pole's length [m] (CartPole-v1 calls it <c>length</c>).</summary>
    public double PoleHalfLength { get; init; } = 0.5;

    /// <summary>Force of one push [N]; action 0 pushes left (−), 1 right (+).</summary>
    public double ForceMagnitude { get; init; } = 10.0;

    /// <summary>Integration step [s] (Euler, as CartPole-v1) = the control period.</summary>
    public double Tau { get; init; } = 0.02;

    /// <summary>Coulomb friction of the cart on the rail [N], opposing its velocity (0: none, as CartPole-v1).</summary>
    public double CartFriction { get; init; }

    /// <summary>First-order lag of the motor's force [s] (0: the force acts at once).</summary>
    public double MotorLag { get; init; }

    /// <summary>Control ticks between an action and the force it commands (0: the same tick).</summary>
    public int LatencyTicks { get; init; }

    /// <summary>Cart position encoder resolution [m per count] (0: exact). The observed position is quantized to it.</summary>
    public double PositionResolution { get; init; }

    /// <summary>Pole angle encoder resolution [rad per count] (0: exact). The observed angle is quantized to it.</summary>
    public double AngleResolution { get; init; }

    /// <summary>Standard deviation of Gaussian noise added to each observed value, in its own unit (0: none).</summary>
    public double SensorNoise { get; init; }

    /// <summary>Episode length limit (truncation) in steps.</summary>
    public int MaxSteps { get; init; } = 500;

    /// <summary>Termination angle [rad] (12°).</summary>
    public double ThetaThreshold { get; init; } = 12 * 2 * Math.PI / 360;

    /// <summary>Termination position [m].</summary>
    public double XThreshold { get; init; } = 2.4;

    /// <summary>Total mass [kg].</summary>
    public double TotalMass => CartMass + PoleMass;

    /// <summary>True when every deviation is off (the dynamics are CartPole-v1's).</summary>
    public bool IsIdeal => CartFriction == 0 && MotorLag == 0 && LatencyTicks == 0 && PositionResolution == 0 && AngleResolution == 0 && SensorNoise == 0;

    private static readonly (string Key, string Meaning, Func<CartPoleOptions, double> Get, Func<CartPoleOptions, double, CartPoleOptions> Set, bool Integer)[] Keys =
    [
        ("gravity", "g [m/s^2]", o => o.Gravity, (o, v) => o with { Gravity = v }, false),
        ("cart_mass", "cart mass [kg]", o => o.CartMass, (o, v) => o with { CartMass = v }, false),
        ("pole_mass", "pole mass [kg]", o => o.PoleMass, (o, v) => o with { PoleMass = v }, false),
        ("pole_length", "pole half length [m]", o => o.PoleHalfLength, (o, v) => o with { PoleHalfLength = v }, false),
        ("force", "push force [N]", o => o.ForceMagnitude, (o, v) => o with { ForceMagnitude = v }, false),
        ("tau", "time step [s]", o => o.Tau, (o, v) => o with { Tau = v }, false),
        ("friction", "cart Coulomb friction [N]", o => o.CartFriction, (o, v) => o with { CartFriction = v }, false),
        ("motor_lag", "motor time constant [s]", o => o.MotorLag, (o, v) => o with { MotorLag = v }, false),
        ("latency", "actuation latency [ticks]", o => o.LatencyTicks, (o, v) => o with { LatencyTicks = (int)v }, true),
        ("x_resolution", "position encoder step [m]", o => o.PositionResolution, (o, v) => o with { PositionResolution = v }, false),
        ("theta_resolution", "angle encoder step [rad]", o => o.AngleResolution, (o, v) => o with { AngleResolution = v }, false),
        ("noise", "sensor noise std dev", o => o.SensorNoise, (o, v) => o with { SensorNoise = v }, false),
        ("max_steps", "episode limit [steps]", o => o.MaxSteps, (o, v) => o with { MaxSteps = (int)v }, true),
        ("theta_threshold", "termination angle [rad]", o => o.ThetaThreshold, (o, v) => o with { ThetaThreshold = v }, false),
        ("x_threshold", "termination position [m]", o => o.XThreshold, (o, v) => o with { XThreshold = v }, false),
    ];

    /// <summary>The keys the spec string knows, with their meaning (for help texts).</summary>
    public static string KnownKeys => string.Join(", ", Array.ConvertAll(Keys, k => $"{k.Key} ({k.Meaning})"));

    /// <summary>
    /// Reads <c>key=value,key=value</c> over <see cref="Default"/> (or over <paramref name="baseline"/>);
    /// empty or "default" gives the baseline. Unknown keys, bad numbers and impossible values are
    /// refused with an error naming the key and the fix.
    /// </summary>
    public static CartPoleOptions Parse(string? spec, CartPoleOptions? baseline = null)
    {
        var o = baseline ?? Default;
        if (string.IsNullOrWhiteSpace(spec) || spec.Trim() is "default" or "cartpole-v1")
        {
            return o;
        }

        foreach (string part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? part : part[..eq].Trim();
            int k = Array.FindIndex(Keys, x => x.Key == key);
            if (eq < 0 || k < 0)
            {
                throw new ArgumentException($"physics option '{part}': expected key=value with a key among: {KnownKeys}");
            }

            string text = part[(eq + 1)..].Trim();
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            {
                throw new ArgumentException($"physics option '{key}': '{text}' is not a number; write e.g. {key}=0.1");
            }

            if (Keys[k].Integer && v != Math.Floor(v))
            {
                throw new ArgumentException($"physics option '{key}': {text} must be a whole number");
            }

            o = Keys[k].Set(o, v);
        }

        o.Validate();
        return o;
    }

    /// <summary>Throws naming the field when a value is impossible.</summary>
    public void Validate()
    {
        static void Positive(string key, double v)
        {
            if (!(v > 0))
            {
                throw new ArgumentException($"physics option '{key}' must be > 0 (got {v.ToString(CultureInfo.InvariantCulture)})");
            }
        }

        static void NonNegative(string key, double v)
        {
            if (!(v >= 0))
            {
                throw new ArgumentException($"physics option '{key}' must be >= 0 (got {v.ToString(CultureInfo.InvariantCulture)})");
            }
        }

        Positive("gravity", Gravity);
        Positive("cart_mass", CartMass);
        Positive("pole_mass", PoleMass);
        Positive("pole_length", PoleHalfLength);
        Positive("force", ForceMagnitude);
        Positive("tau", Tau);
        Positive("max_steps", MaxSteps);
        Positive("theta_threshold", ThetaThreshold);
        Positive("x_threshold", XThreshold);
        NonNegative("friction", CartFriction);
        NonNegative("motor_lag", MotorLag);
        NonNegative("latency", LatencyTicks);
        NonNegative("x_resolution", PositionResolution);
        NonNegative("theta_resolution", AngleResolution);
        NonNegative("noise", SensorNoise);
        if (LatencyTicks > 1000)
        {
            throw new ArgumentException($"physics option 'latency' is {LatencyTicks} ticks; at most 1000");
        }
    }

    /// <summary>The values that differ from CartPole-v1, in the <see cref="Parse"/> grammar ("default" when none).</summary>
    public string ToSpec()
    {
        var sb = new StringBuilder();
        foreach (var k in Keys)
        {
            double v = k.Get(this);
            if (v != k.Get(Default))
            {
                sb.Append(sb.Length > 0 ? "," : "").Append(k.Key).Append('=').Append(v.ToString("R", CultureInfo.InvariantCulture));
            }
        }

        return sb.Length == 0 ? "default" : sb.ToString();
    }

    /// <summary>The options as <c>--physics</c> writes them (<c>pole_mass=0.15,latency=1</c>; empty for CartPole-v1).</summary>
    public override string ToString() => ToSpec();
}
