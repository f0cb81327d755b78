using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace EdgeNet.Rig.Config;

/// <summary>How rig.json numbers its pins.</summary>
public enum PinNumbering
{
    /// <summary>GPIO line offsets of the board's GPIO chip (BCM numbers on a Raspberry Pi).</summary>
    Line,

    /// <summary>Physical pins 1-40 of the board's header, through its pin map (<c>board</c> must be set).</summary>
    Header,
}

/// <summary>
/// The cart-pole rig's wiring and geometry, read from JSON (<c>rig.json</c>, snake_case keys; see
/// <c>src/Rig/Devices/*/README.md</c> for the wiring). Pins are the GPIO controller's logical numbers
/// (BCM on a Raspberry Pi), or with <c>"pin_numbering": "header"</c> the physical header pins of the
/// <c>board</c> (its pin map finds the chip by label, the line and the hardware PWM). <see cref="Load"/>
/// validates everything and names the field and the fix.
/// </summary>
public sealed class RigConfig
{
    /// <summary>The board whose pin map applies: <c>none</c> (pins are lines of the default GPIO chip, PWM by chip and channel), <c>auto</c> (from the device tree), <c>rpi4</c>, <c>rpi5</c>, <c>jetson-orin</c>.</summary>
    public string Board { get; set; } = "none";

    /// <summary>How the pin fields are numbered.</summary>
    public PinNumbering PinNumbering { get; set; } = PinNumbering.Line;

    /// <summary>The H-bridge driving the cart's DC motor.</summary>
    public MotorConfig Motor { get; set; } = new();

    /// <summary>The encoder on the pole's pivot (the angle).</summary>
    public EncoderConfig PoleEncoder { get; set; } = new() { PinA = 17, PinB = 27, CountsPerRevolution = 2400 };

    /// <summary>The encoder on the motor or idler shaft (the cart's position).</summary>
    public EncoderConfig CartEncoder { get; set; } = new() { PinA = 5, PinB = 6, CountsPerRevolution = 1200, MetresPerRevolution = 0.1 };

    /// <summary>The limit switches at the rail's ends and the emergency stop.</summary>
    public SwitchesConfig Switches { get; set; } = new();

    /// <summary>Usable rail length [m], end switch to end switch; the cart's centre is at half of it.</summary>
    public double RailLength { get; set; } = 5.2;

    /// <summary>An episode ends (and the motor stops) when |x| exceeds this [m] (CartPole-v1: 2.4).</summary>
    public double XLimit { get; set; } = 2.4;

    /// <summary>An episode ends (and the motor stops) when |theta| exceeds this [degrees] (CartPole-v1: 12).</summary>
    public double ThetaLimitDegrees { get; set; } = 12;

    /// <summary>Control frequency [Hz] (CartPole-v1's tau 0.02 s: 50).</summary>
    public double TickHz { get; set; } = 50;

    /// <summary>Weight of the newest finite difference in the velocity estimates (1: none of the old one; lower: smoother, later).</summary>
    public double VelocityFilter { get; set; } = 1.0;

    /// <summary>Control ticks the loop may miss before the watchdog stops the motor.</summary>
    public int WatchdogTicks { get; set; } = 3;

    /// <summary>The upright pole must be held this long [s] before an episode starts (on hardware).</summary>
    public double HoldUprightSeconds { get; set; } = 1.0;

    /// <summary>Control period [s].</summary>
    public double Period => 1.0 / TickHz;

    /// <summary>The angle limit [rad].</summary>
    public double ThetaLimit => ThetaLimitDegrees * Math.PI / 180;

    /// <summary>The defaults: a Pi wiring that matches the simulated rig (<c>edgenet rig --write-config</c> writes it).</summary>
    public static RigConfig Default() => new();

    /// <summary>Reads and validates <paramref name="path"/>; every error names the file, the field and the fix.</summary>
    public static RigConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RigConfigException($"{path}: cannot read the rig configuration ({ex.Message}); write one with 'edgenet rig selftest --write-config {path}'");
        }

        return Parse(text, path);
    }

    /// <summary>Parses and validates JSON text (<paramref name="source"/> names it in errors).</summary>
    public static RigConfig Parse(string json, string source = "rig.json")
    {
        var config = new RigConfig();
        JsonFields.Read(json, config, Fields, source);
        config.Validate(source);
        return config;
    }

    /// <summary>The configuration as indented JSON (what <see cref="Parse"/> reads).</summary>
    public string ToJson() => JsonFields.Write(this, Fields);

    private static JsonField<RigConfig>[] EncoderFields(string name, Func<RigConfig, EncoderConfig> e) =>
    [
        JsonFields.Integer<RigConfig>($"{name}.pin_a", c => e(c).PinA, (c, v) => e(c).PinA = v),
        JsonFields.Integer<RigConfig>($"{name}.pin_b", c => e(c).PinB, (c, v) => e(c).PinB = v),
        JsonFields.Integer<RigConfig>($"{name}.counts_per_revolution", c => e(c).CountsPerRevolution, (c, v) => e(c).CountsPerRevolution = v),
        JsonFields.Number<RigConfig>($"{name}.metres_per_revolution", c => e(c).MetresPerRevolution, (c, v) => e(c).MetresPerRevolution = v),
        JsonFields.Text<RigConfig>($"{name}.decoding", c => DecodingNames[(int)e(c).Decoding], (c, v) => e(c).Decoding = ParseDecoding(v), "x1, x2, x4, evdev"),
        JsonFields.Boolean<RigConfig>($"{name}.invert", c => e(c).Invert, (c, v) => e(c).Invert = v),
        JsonFields.Text<RigConfig>($"{name}.evdev_device", c => e(c).EvdevDevice, (c, v) => e(c).EvdevDevice = v),
    ];

    private static readonly string[] DecodingNames = ["x1", "x2", "x4", "evdev"];

    private static EncoderDecoding ParseDecoding(string? name)
    {
        int i = Array.IndexOf(DecodingNames, name);
        return i >= 0 ? (EncoderDecoding)i : throw new FormatException("give x1, x2 or x4 (GPIO edges) or evdev (the kernel rotary-encoder driver)");
    }

    /// <summary>The JSON keys, their order in the file, and where each goes.</summary>
    private static readonly JsonField<RigConfig>[] Fields =
    [
        JsonFields.Text<RigConfig>("board", c => c.Board, (c, v) => c.Board = v ?? "none", "none, auto, rpi4, rpi5, jetson-orin"),
        JsonFields.Text<RigConfig>("pin_numbering", c => c.PinNumbering == PinNumbering.Header ? "header" : "line",
            (c, v) => c.PinNumbering = v switch { "line" => PinNumbering.Line, "header" => PinNumbering.Header, _ => throw new FormatException("give line (GPIO line numbers) or header (the board's pins 1-40)") }, "line, header"),
        JsonFields.Integer<RigConfig>("motor.pwm_pin", c => c.Motor.PwmPin, (c, v) => c.Motor.PwmPin = v),
        JsonFields.Integer<RigConfig>("motor.pwm_chip", c => c.Motor.PwmChip, (c, v) => c.Motor.PwmChip = v),
        JsonFields.Integer<RigConfig>("motor.pwm_channel", c => c.Motor.PwmChannel, (c, v) => c.Motor.PwmChannel = v),
        JsonFields.Integer<RigConfig>("motor.pwm_frequency", c => c.Motor.PwmFrequency, (c, v) => c.Motor.PwmFrequency = v),
        JsonFields.Integer<RigConfig>("motor.in1", c => c.Motor.In1, (c, v) => c.Motor.In1 = v),
        JsonFields.Integer<RigConfig>("motor.in2", c => c.Motor.In2, (c, v) => c.Motor.In2 = v),
        JsonFields.Number<RigConfig>("motor.push_duty", c => c.Motor.PushDuty, (c, v) => c.Motor.PushDuty = v),
        JsonFields.Number<RigConfig>("motor.home_duty", c => c.Motor.HomeDuty, (c, v) => c.Motor.HomeDuty = v),
        .. EncoderFields("pole_encoder", c => c.PoleEncoder),
        .. EncoderFields("cart_encoder", c => c.CartEncoder),
        JsonFields.Integer<RigConfig>("switches.limit_left", c => c.Switches.LimitLeft, (c, v) => c.Switches.LimitLeft = v),
        JsonFields.Integer<RigConfig>("switches.limit_right", c => c.Switches.LimitRight, (c, v) => c.Switches.LimitRight = v),
        JsonFields.Integer<RigConfig>("switches.emergency_stop", c => c.Switches.EmergencyStop, (c, v) => c.Switches.EmergencyStop = v),
        JsonFields.Boolean<RigConfig>("switches.active_low", c => c.Switches.ActiveLow, (c, v) => c.Switches.ActiveLow = v),
        JsonFields.Number<RigConfig>("rail_length", c => c.RailLength, (c, v) => c.RailLength = v),
        JsonFields.Number<RigConfig>("x_limit", c => c.XLimit, (c, v) => c.XLimit = v),
        JsonFields.Number<RigConfig>("theta_limit_degrees", c => c.ThetaLimitDegrees, (c, v) => c.ThetaLimitDegrees = v),
        JsonFields.Number<RigConfig>("tick_hz", c => c.TickHz, (c, v) => c.TickHz = v),
        JsonFields.Number<RigConfig>("velocity_filter", c => c.VelocityFilter, (c, v) => c.VelocityFilter = v),
        JsonFields.Integer<RigConfig>("watchdog_ticks", c => c.WatchdogTicks, (c, v) => c.WatchdogTicks = v),
        JsonFields.Number<RigConfig>("hold_upright_seconds", c => c.HoldUprightSeconds, (c, v) => c.HoldUprightSeconds = v),
    ];

    /// <summary>Throws <see cref="RigConfigException"/> naming the first impossible field and its fix.</summary>
    public void Validate(string source = "rig.json")
    {
        [DoesNotReturn]
        void Fail(string field, string problem, string fix) => throw new RigConfigException($"{source}: '{field}' {problem}; {fix}");
        string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

        if (Motor is null || PoleEncoder is null || CartEncoder is null || Switches is null)
        {
            Fail(Motor is null ? "motor" : PoleEncoder is null ? "pole_encoder" : CartEncoder is null ? "cart_encoder" : "switches", "is null", "give the object or leave the key out for the default");
        }

        if (!(Motor.PushDuty is > 0 and <= 1))
        {
            Fail("motor.push_duty", $"is {Num(Motor.PushDuty)}", "give the PWM duty of one push in (0, 1] (the motor gain: 1 = full force)");
        }

        if (!(Motor.HomeDuty is > 0 and <= 1))
        {
            Fail("motor.home_duty", $"is {Num(Motor.HomeDuty)}", "give the slow homing duty in (0, 1], e.g. 0.15");
        }

        if (Motor.PwmFrequency is < 100 or > 100_000)
        {
            Fail("motor.pwm_frequency", $"is {Motor.PwmFrequency} Hz", "give 100..100000 Hz (H-bridges such as the L298N: 1000-20000)");
        }

        if (Motor.PwmChip < 0 || Motor.PwmChannel < 0)
        {
            Fail(Motor.PwmChip < 0 ? "motor.pwm_chip" : "motor.pwm_channel", "is negative", "give the sysfs PWM chip and channel (/sys/class/pwm/pwmchipN/pwmM)");
        }

        foreach (var (name, e) in new[] { ("pole_encoder", PoleEncoder), ("cart_encoder", CartEncoder) })
        {
            if (e.CountsPerRevolution < 4)
            {
                Fail($"{name}.counts_per_revolution", $"is {e.CountsPerRevolution}", "give the counts per revolution at the decoding chosen (x4: 4 x the encoder's PPR, e.g. 2400 for a 600 PPR encoder)");
            }

            if (!Enum.IsDefined(e.Decoding))
            {
                Fail($"{name}.decoding", $"is {e.Decoding}", "give x1, x2 or x4 (GPIO edges) or evdev (the kernel rotary-encoder driver)");
            }

            if (e.Decoding == EncoderDecoding.Evdev && string.IsNullOrWhiteSpace(e.EvdevDevice))
            {
                Fail($"{name}.evdev_device", "is empty while decoding is evdev", "give the input device, e.g. /dev/input/by-path/platform-rotary@11-event");
            }
        }

        if (!(CartEncoder.MetresPerRevolution > 0))
        {
            Fail("cart_encoder.metres_per_revolution", $"is {Num(CartEncoder.MetresPerRevolution)}", "give the cart's travel per turn of the encoder shaft [m] (the pulley's circumference)");
        }

        if (!(XLimit > 0))
        {
            Fail("x_limit", $"is {Num(XLimit)}", "give the travel limit [m] from the centre, e.g. 2.4");
        }

        if (!(RailLength > 2 * XLimit))
        {
            Fail("rail_length", $"is {Num(RailLength)} m, not more than twice x_limit ({Num(2 * XLimit)} m)", "the cart must be stopped by x_limit before it reaches an end switch: lengthen rail_length or shorten x_limit");
        }

        if (!(ThetaLimitDegrees is > 0 and < 90))
        {
            Fail("theta_limit_degrees", $"is {Num(ThetaLimitDegrees)}", "give the angle limit in (0, 90) degrees, e.g. 12");
        }

        if (!(TickHz is >= 1 and <= 1000))
        {
            Fail("tick_hz", $"is {Num(TickHz)}", "give 1..1000 Hz (CartPole-v1: 50)");
        }

        if (!(VelocityFilter is > 0 and <= 1))
        {
            Fail("velocity_filter", $"is {Num(VelocityFilter)}", "give the newest difference's weight in (0, 1] (1: unfiltered)");
        }

        if (WatchdogTicks < 1)
        {
            Fail("watchdog_ticks", $"is {WatchdogTicks}", "give at least 1 (the issue's rig: 3)");
        }

        if (!(HoldUprightSeconds >= 0))
        {
            Fail("hold_upright_seconds", $"is {Num(HoldUprightSeconds)}", "give 0 or more seconds");
        }

        if (Board is not ("none" or "auto" or "rpi4" or "rpi5" or "jetson-orin"))
        {
            Fail("board", $"is '{Board}'", "give none, auto (from the device tree), rpi4, rpi5 or jetson-orin");
        }

        bool header = PinNumbering == PinNumbering.Header;
        if (header && Board == "none")
        {
            Fail("pin_numbering", "is header but no board is given", "set \"board\" (auto, rpi4, rpi5, jetson-orin): the header's pins mean something only on a board");
        }

        if (header && Motor.PwmPin is < 1 or > 40)
        {
            Fail("motor.pwm_pin", $"is {Motor.PwmPin}", "give the header pin the H-bridge's enable (PWM) input is wired to (Raspberry Pi: 12, 32, 33 or 35)");
        }

        var pins = SignalPins();
        if (header)
        {
            pins.Add(("motor.pwm_pin", Motor.PwmPin));
        }

        for (int i = 0; i < pins.Count; i++)
        {
            if (header ? pins[i].Pin is < 1 or > 40 : pins[i].Pin is < 0 or > 1023)
            {
                Fail(pins[i].Field, $"is {pins[i].Pin}", header ? "give the header pin, 1..40" : "give the GPIO line number (BCM numbering on a Raspberry Pi), 0..1023");
            }

            for (int j = 0; j < i; j++)
            {
                if (pins[i].Pin == pins[j].Pin)
                {
                    Fail(pins[i].Field, $"uses {(header ? "header pin" : "GPIO")} {pins[i].Pin}, as '{pins[j].Field}' does", "wire each signal to its own pin and give that pin here");
                }
            }
        }
    }

    /// <summary>Every GPIO signal the rig opens, with its rig.json field (the encoders' pins unless evdev counts them).</summary>
    internal List<(string Field, int Pin)> SignalPins()
    {
        var pins = new List<(string Field, int Pin)>
        {
            ("motor.in1", Motor.In1), ("motor.in2", Motor.In2), ("switches.limit_left", Switches.LimitLeft),
            ("switches.limit_right", Switches.LimitRight), ("switches.emergency_stop", Switches.EmergencyStop),
        };
        foreach (var (name, e) in new[] { ("pole_encoder", PoleEncoder), ("cart_encoder", CartEncoder) })
        {
            if (e.Decoding != EncoderDecoding.Evdev)
            {
                pins.Add(($"{name}.pin_a", e.PinA));
                pins.Add(($"{name}.pin_b", e.PinB));
            }
        }

        return pins;
    }
}

/// <summary>An H-bridge (L298N, TB6612, DRV8871...): PWM on the enable pin from a hardware PWM channel, direction on IN1/IN2.</summary>
public sealed class MotorConfig
{
    /// <summary>With header numbering: the header pin of the enable (PWM) input; its hardware PWM comes from the board's pin map.</summary>
    public int PwmPin { get; set; }

    /// <summary>sysfs PWM chip (<c>/sys/class/pwm/pwmchipN</c>), without a pin map.</summary>
    public int PwmChip { get; set; }

    /// <summary>PWM channel of the chip (Pi: 0 = GPIO 12/18, 1 = GPIO 13/19 with the pwm-2chan overlay).</summary>
    public int PwmChannel { get; set; }

    /// <summary>PWM frequency [Hz].</summary>
    public int PwmFrequency { get; set; } = 20_000;

    /// <summary>H-bridge IN1, dotnet/iot DCMotor's first direction pin: high (IN2 low) for a negative speed, the cart towards −x.</summary>
    public int In1 { get; set; } = 23;

    /// <summary>H-bridge IN2: high (IN1 low) for a positive speed, the cart towards +x. Swap the motor's wires (or these two numbers) if selftest says it runs the wrong way.</summary>
    public int In2 { get; set; } = 24;

    /// <summary>Duty of one push (action 0: −push_duty, action 1: +push_duty): the motor gain.</summary>
    public double PushDuty { get; set; } = 1.0;

    /// <summary>The most duty homing uses.</summary>
    public double HomeDuty { get; set; } = 0.15;
}

/// <summary>How an encoder's counts reach the board.</summary>
public enum EncoderDecoding
{
    /// <summary>Falling edges of A only (Iot.Device.Bindings' QuadratureRotaryEncoder): PPR counts per revolution.</summary>
    X1,

    /// <summary>Both edges of A (QuadratureRotaryEncoder): 2 × PPR.</summary>
    X2,

    /// <summary>Every edge of A and B through a state table: 4 × PPR, illegal transitions counted.</summary>
    X4,

    /// <summary>The kernel's rotary-encoder driver through evdev (<c>/dev/input/event*</c>): no edge is lost to userspace latency.</summary>
    Evdev,
}

/// <summary>A quadrature encoder's pins and resolution.</summary>
public sealed class EncoderConfig
{
    /// <summary>GPIO line of the encoder's A channel.</summary>
    public int PinA { get; set; }

    /// <summary>GPIO line of the encoder's B channel.</summary>
    public int PinB { get; set; }

    /// <summary>Counts per revolution at the chosen decoding (x4: 4 × PPR).</summary>
    public int CountsPerRevolution { get; set; }

    /// <summary>Cart encoder only: travel per revolution [m].</summary>
    public double MetresPerRevolution { get; set; } = 1;

    /// <summary>How the edges are counted: x1, x2, x4 on GPIO, or the kernel's evdev driver.</summary>
    public EncoderDecoding Decoding { get; set; } = EncoderDecoding.X4;

    /// <summary>Count direction reversed (swap instead of rewiring A and B).</summary>
    public bool Invert { get; set; }

    /// <summary>With <see cref="EncoderDecoding.Evdev"/>: the input device.</summary>
    public string? EvdevDevice { get; set; }
}

/// <summary>End switches and the emergency stop (inputs; active level configurable).</summary>
public sealed class SwitchesConfig
{
    /// <summary>GPIO line of the left end switch.</summary>
    public int LimitLeft { get; set; } = 16;

    /// <summary>GPIO line of the right end switch.</summary>
    public int LimitRight { get; set; } = 20;

    /// <summary>GPIO line of the emergency stop.</summary>
    public int EmergencyStop { get; set; } = 21;

    /// <summary>The switches pull the pin low when pressed (normally-open to ground with the pull-up on).</summary>
    public bool ActiveLow { get; set; } = true;
}

/// <summary>An invalid rig configuration (the message names the file, the field and the fix).</summary>
public sealed class RigConfigException(string message) : Exception(message);
