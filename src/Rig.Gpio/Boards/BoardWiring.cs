using EdgeNet.Rig.Config;

namespace EdgeNet.Rig.Boards;

/// <summary>
/// A rig.json resolved on a board: the GPIO chip found by its label, every signal's line offset (each checked against
/// the kernel's line name), and the PWM chip found by its controller's device name. What <see cref="CartPole.HardwareRig"/>
/// opens when rig.json names a board.
/// </summary>
/// <param name="Board">The board's pin map.</param>
/// <param name="Chip">The header's GPIO chip.</param>
/// <param name="Lines">The configuration with every pin as a line offset of <paramref name="Chip"/> and the PWM as chip and channel.</param>
/// <param name="Signals">Each signal: its rig.json field, header pin (0 when numbered by line), line, line name.</param>
public sealed record RigWiring(BoardPinMap Board, GpioChipInfo Chip, RigConfig Lines, IReadOnlyList<(string Field, int HeaderPin, int Line, string? LineName)> Signals)
{
    /// <summary>
    /// The wiring on the simulated GPIO chip: the board's pin map turns header pins into lines as on the board (the
    /// simulated chip carries the header chip's label and line names), the PWM pin must have hardware PWM; no sysfs.
    /// </summary>
    public static RigWiring ForSimulation(RigConfig config, string source = "rig.json")
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Board == "auto")
        {
            throw new RigConfigException($"{source}: board: 'auto' reads the board's device tree; the simulated rig has none: name the board (rpi4, rpi5, jetson-orin)");
        }

        return Resolve(config, "/", new MapChips(BoardPinMap.Named(config.Board, $"{source}: board")), source, simulated: true);
    }

    /// <summary>Resolves <paramref name="config"/> (with <c>board</c> set) under <paramref name="root"/>; every refusal names the field, the board and the pin.</summary>
    public static RigWiring Resolve(RigConfig config, string root, IGpioChips chips, string source = "rig.json") => Resolve(config, root, chips, source, simulated: false);

    private static RigWiring Resolve(RigConfig config, string root, IGpioChips chips, string source, bool simulated)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(chips);
        if (config.Board == "none")
        {
            throw new ArgumentException("rig.json names no board: its pins are used as GPIO lines of the default chip", nameof(config));
        }

        var board = config.Board == "auto" ? BoardPinMap.Detect(root) : BoardPinMap.Named(config.Board, $"{source}: board");
        string dt = Path.Combine(root, "proc/device-tree/compatible");
        if (!simulated && config.Board != "auto" && File.Exists(dt) && BoardPinMap.Find(File.ReadAllText(dt).Split('\0', StringSplitOptions.RemoveEmptyEntries)) is { } actual && actual.Id != board.Id)
        {
            throw new RigConfigException($"{source}: board: is {board.Id}, but this board is a {actual.Name}: give \"board\": \"{actual.Id}\" (or \"auto\") and check the wiring against its header");
        }

        var all = chips.Chips();
        GpioChipInfo? chip = null;
        foreach (var c in all)
        {
            foreach (var label in board.GpioChipLabels)
            {
                if (chip is null && string.Equals(c.Label, label, StringComparison.Ordinal))
                {
                    chip = c;
                }
            }
        }

        if (chip is null)
        {
            var found = new List<string>();
            foreach (var c in all)
            {
                found.Add($"gpiochip{c.Number} [{c.Label}]");
            }

            throw new RigConfigException($"{source}: board: the {board.Name}'s header chip ({string.Join(" or ", board.GpioChipLabels)}) is not among this machine's GPIO chips ({(found.Count == 0 ? "none readable: is /dev/gpiochip* there and in the gpio group?" : string.Join(", ", found))})");
        }

        var lines = RigConfig.Parse(config.ToJson(), source);
        bool header = config.PinNumbering == PinNumbering.Header;
        var signals = new List<(string, int, int, string?)>();
        foreach (var (field, pin) in config.SignalPins())
        {
            int line = header ? board.Line(pin, $"{source}: {field}") : pin;
            string? expected = header ? board.Pin(pin)!.LineName : NameOfLine(board, line);
            string? kernel = chips.LineName(chip.Number, line);
            if (!string.IsNullOrEmpty(kernel) && expected is not null && !string.Equals(kernel, expected, StringComparison.Ordinal))
            {
                throw new RigConfigException($"{source}: {field}: {(header ? $"header pin {pin} is " : "")}line {line} of {chip.Label} should be named {expected} on the {board.Name}, the kernel calls it {kernel}: this pin map does not fit the board (another model or device tree?); number the pins by line to go on");
            }

            signals.Add((field, header ? pin : 0, line, kernel ?? expected));
            Set(lines, field, line);
        }

        lines.PinNumbering = PinNumbering.Line;
        if (header)
        {
            var pwm = board.PwmOf(config.Motor.PwmPin, $"{source}: motor.pwm_pin");
            if (simulated)
            {
                (lines.Motor.PwmChip, lines.Motor.PwmChannel) = (0, pwm.Channel);
                return new RigWiring(board, chip, lines, signals);
            }

            var present = PwmChips.Describe(root);
            int pwmChip = PwmChips.Find(root, pwm.Controller)
                ?? throw new RigConfigException($"{source}: motor.pwm_pin: header pin {config.Motor.PwmPin}'s hardware PWM ({pwm.Controller} channel {pwm.Channel}) is not enabled (pwm chips: {(present.Count > 0 ? string.Join(", ", present) : "none")}); {pwm.Setup}, then reboot");
            (lines.Motor.PwmChip, lines.Motor.PwmChannel) = (pwmChip, pwm.Channel);
        }

        return new RigWiring(board, chip, lines, signals);
    }

    private static string? NameOfLine(BoardPinMap board, int line)
    {
        foreach (var p in board.Pins)
        {
            if (p.Line == line)
            {
                return p.LineName;
            }
        }

        return null; // a line the header does not bring out: nothing to check it against
    }

    private static void Set(RigConfig c, string field, int line)
    {
        switch (field)
        {
            case "motor.in1": c.Motor.In1 = line; break;
            case "motor.in2": c.Motor.In2 = line; break;
            case "switches.limit_left": c.Switches.LimitLeft = line; break;
            case "switches.limit_right": c.Switches.LimitRight = line; break;
            case "switches.emergency_stop": c.Switches.EmergencyStop = line; break;
            case "pole_encoder.pin_a": c.PoleEncoder.PinA = line; break;
            case "pole_encoder.pin_b": c.PoleEncoder.PinB = line; break;
            case "cart_encoder.pin_a": c.CartEncoder.PinA = line; break;
            case "cart_encoder.pin_b": c.CartEncoder.PinB = line; break;
            default: throw new InvalidOperationException($"no rig.json pin field {field}");
        }
    }

    /// <summary>The simulated chip as a board's header chip: its first label, 64 lines named as the pin map names them.</summary>
    private sealed class MapChips(BoardPinMap board) : IGpioChips
    {
        public IReadOnlyList<GpioChipInfo> Chips() => [new GpioChipInfo(0, "simulated", board.GpioChipLabels[0], 1024)];

        public string? LineName(int chip, int line) => NameOfLine(board, line);
    }
}
