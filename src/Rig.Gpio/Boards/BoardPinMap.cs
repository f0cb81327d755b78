using System.Text.Json;
using EdgeNet.Rig.Config;

namespace EdgeNet.Rig.Boards;

/// <summary>A header pin's hardware PWM: the controller (the device name <c>/sys/class/pwm/pwmchipN/device</c> points at), its channel, and how to turn it on.</summary>
/// <param name="Controller">The PWM controller's device name (e.g. <c>fe20c000.pwm</c>): never a pwmchip number, which moves between kernels.</param>
/// <param name="Channel">The channel of that controller.</param>
/// <param name="Setup">What enables it (a device-tree overlay, jetson-io).</param>
public sealed record HeaderPwm(string Controller, int Channel, string Setup);

/// <summary>One pin of a 40-pin header: a GPIO line of the board's GPIO chip, or power, ground or a function that is not a GPIO.</summary>
/// <param name="Pin">The header pin (1-40).</param>
/// <param name="Line">The line offset in the GPIO chip, or null when not a GPIO.</param>
/// <param name="LineName">The kernel's name for the line (the device tree's gpio-line-names): checked on the board.</param>
/// <param name="Power">For a pin that is not a GPIO: what it is (3V3, 5V, GND, I2C...).</param>
/// <param name="Use">What else the pin is commonly (I2C, UART, SPI, the HAT EEPROM).</param>
/// <param name="Pwm">Its hardware PWM, or null.</param>
public sealed record HeaderPin(int Pin, int? Line, string? LineName, string? Power, string? Use, HeaderPwm? Pwm)
{
    /// <summary>A short description (<c>GPIO17</c>, <c>GND</c>).</summary>
    public override string ToString() => Line is null ? Power ?? "not a GPIO" : $"{LineName} (line {Line})";
}

/// <summary>
/// A board's 40-pin header as data (<c>Boards/Files/*.json</c>, from the boards' device trees and vendors' pin
/// tables): header pin → GPIO chip label + line offset (never a gpiochip number: the Pi 5's RP1 moved from gpiochip4
/// to gpiochip0), the expected line name, and hardware PWM. The board is found from the device tree's compatible.
/// </summary>
public sealed class BoardPinMap
{
    private readonly Dictionary<int, HeaderPin> _pins;

    private BoardPinMap(string id, string name, IReadOnlyList<string> compatible, IReadOnlyList<string> labels, string source, List<HeaderPin> pins)
    {
        (Id, Name, Compatible, GpioChipLabels, Source, Pins) = (id, name, compatible, labels, source, pins);
        _pins = new Dictionary<int, HeaderPin>();
        foreach (var p in pins)
        {
            _pins[p.Pin] = p;
        }
    }

    /// <summary>The short name (<c>rpi4</c>, <c>rpi5</c>, <c>jetson-orin</c>), as rig.json's <c>board</c> and edgenet-fw's <c>--target</c> say it.</summary>
    public string Id { get; }

    /// <summary>The board's name.</summary>
    public string Name { get; }

    /// <summary>Device-tree compatible strings of the boards with this header.</summary>
    public IReadOnlyList<string> Compatible { get; }

    /// <summary>The labels the header's GPIO chip has (gpiodetect), any of which identifies it.</summary>
    public IReadOnlyList<string> GpioChipLabels { get; }

    /// <summary>Where the table comes from.</summary>
    public string Source { get; }

    /// <summary>Pins 1-40 in order.</summary>
    public IReadOnlyList<HeaderPin> Pins { get; }

    /// <summary>The boards EdgeNet has header tables for.</summary>
    public static IReadOnlyList<BoardPinMap> All { get; } = [Load("rpi4"), Load("rpi5"), Load("jetson-orin")];

    /// <summary>The map named <paramref name="id"/>, or a refusal listing the names.</summary>
    public static BoardPinMap Named(string id, string field = "board")
    {
        foreach (var b in All)
        {
            if (string.Equals(b.Id, id, StringComparison.OrdinalIgnoreCase))
            {
                return b;
            }
        }

        throw new RigConfigException($"{field}: '{id}' is not a board with a pin map; give one of {string.Join(", ", Ids())}, or 'auto' to read it from /proc/device-tree/compatible");
    }

    /// <summary>The board whose compatible strings include one of <paramref name="compatible"/>, or null.</summary>
    public static BoardPinMap? Find(IReadOnlyList<string> compatible)
    {
        foreach (var c in compatible)
        {
            foreach (var b in All)
            {
                foreach (var bc in b.Compatible)
                {
                    if (string.Equals(c, bc, StringComparison.Ordinal))
                    {
                        return b;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>The board this machine is, from <c>ROOT/proc/device-tree/compatible</c>; a refusal says what it found.</summary>
    public static BoardPinMap Detect(string root = "/")
    {
        string path = Path.Combine(root, "proc/device-tree/compatible");
        if (!File.Exists(path))
        {
            throw new RigConfigException($"board: 'auto' needs a device tree ({path} is missing): give the board in rig.json ({string.Join(", ", Ids())}) or number the pins by GPIO line");
        }

        var compatible = File.ReadAllText(path).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        return Find(compatible) ?? throw new RigConfigException($"board: this board ({string.Join(", ", compatible)}) has no pin map here ({string.Join(", ", Ids())}); number the pins by GPIO line (pin_numbering: line)");
    }

    /// <summary>The header pin <paramref name="pin"/>.</summary>
    public HeaderPin? Pin(int pin) => _pins.GetValueOrDefault(pin);

    /// <summary>The GPIO line of header pin <paramref name="pin"/>; a pin the board lacks, or one that is not a GPIO, is refused naming the board, the field and the pins there are.</summary>
    public int Line(int pin, string field)
    {
        var p = Pin(pin) ?? throw new RigConfigException($"{field}: the {Name} header has no pin {pin} (pins 1-{Pins.Count})");
        return p.Line ?? throw new RigConfigException($"{field}: header pin {pin} of the {Name} is {p.Power}, not a GPIO; GPIO pins: {string.Join(", ", GpioPins())}");
    }

    /// <summary>The hardware PWM of header pin <paramref name="pin"/>; a pin without one is refused naming the pins that have it.</summary>
    public HeaderPwm PwmOf(int pin, string field)
    {
        var p = Pin(pin) ?? throw new RigConfigException($"{field}: the {Name} header has no pin {pin} (pins 1-{Pins.Count})");
        if (p.Pwm is { } pwm)
        {
            return pwm;
        }

        var with = new List<string>();
        foreach (var q in Pins)
        {
            if (q.Pwm is not null)
            {
                with.Add($"{q.Pin} ({q.LineName})");
            }
        }

        throw new RigConfigException($"{field}: header pin {pin} ({p}) of the {Name} has no hardware PWM; pins with it: {string.Join(", ", with)}");
    }

    private List<int> GpioPins()
    {
        var list = new List<int>();
        foreach (var p in Pins)
        {
            if (p.Line is not null)
            {
                list.Add(p.Pin);
            }
        }

        return list;
    }

    private static string[] Ids() => ["rpi4", "rpi5", "jetson-orin"];

    private static BoardPinMap Load(string id)
    {
        using var stream = typeof(BoardPinMap).Assembly.GetManifestResourceStream($"EdgeNet.Rig.Boards.{id}.json")
            ?? throw new InvalidOperationException($"EdgeNet.Rig.Gpio was built without its {id} pin map");
        using var doc = JsonDocument.Parse(stream);
        var o = doc.RootElement;
        var pins = new List<HeaderPin>();
        foreach (var p in o.GetProperty("pins").EnumerateArray())
        {
            HeaderPwm? pwm = p.TryGetProperty("pwm", out var w)
                ? new HeaderPwm(w.GetProperty("controller").GetString()!, w.GetProperty("channel").GetInt32(), w.GetProperty("setup").GetString()!)
                : null;
            pins.Add(new HeaderPin(
                p.GetProperty("pin").GetInt32(),
                p.TryGetProperty("line", out var l) ? l.GetInt32() : null,
                p.TryGetProperty("name", out var n) ? n.GetString() : null,
                p.TryGetProperty("power", out var pw) ? pw.GetString() : null,
                p.TryGetProperty("use", out var u) ? u.GetString() : null,
                pwm));
        }

        return new BoardPinMap(o.GetProperty("id").GetString()!, o.GetProperty("name").GetString()!, Strings(o.GetProperty("compatible")),
            Strings(o.GetProperty("gpio_chip_labels")), o.GetProperty("source").GetString()!, pins);
    }

    private static List<string> Strings(JsonElement a)
    {
        var list = new List<string>();
        foreach (var e in a.EnumerateArray())
        {
            list.Add(e.GetString()!);
        }

        return list;
    }
}
