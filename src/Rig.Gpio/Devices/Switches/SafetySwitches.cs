using System.Device.Gpio;
using EdgeNet.Rig.Config;

namespace EdgeNet.Rig.Devices.Switches;

/// <summary>Which switch.</summary>
public enum RigSwitch
{
    /// <summary>The end switch at the cart's left end of the rail.</summary>
    LimitLeft,

    /// <summary>The end switch at the cart's right end of the rail.</summary>
    LimitRight,

    /// <summary>The emergency stop button.</summary>
    EmergencyStop,
}

/// <summary>
/// The end-of-rail limit switches and the emergency stop as GPIO inputs (pull-up on, active low by default).
/// A press is reported from the edge callback itself (<see cref="Pressed"/>), so whoever listens can stop the
/// motor before the control loop's next tick; <see cref="IsPressed"/> reads the level for the loop and for
/// rearming.
/// </summary>
public sealed class SafetySwitches : IDisposable
{
    private readonly GpioController _gpio;
    private readonly int[] _pins;
    private readonly PinEventTypes _pressEdge;
    private readonly PinValue _pressedLevel;
    private int _opened;

    /// <summary>Opens the two end switches and the emergency stop as inputs on <paramref name="gpio"/> and watches their press edges (the active level is <c>switches.active_low</c>); a pin that cannot be opened names its rig.json field.</summary>
    public SafetySwitches(GpioController gpio, SwitchesConfig config)
    {
        ArgumentNullException.ThrowIfNull(gpio);
        ArgumentNullException.ThrowIfNull(config);
        _gpio = gpio;
        _pins = [config.LimitLeft, config.LimitRight, config.EmergencyStop];
        _pressEdge = config.ActiveLow ? PinEventTypes.Falling : PinEventTypes.Rising;
        _pressedLevel = config.ActiveLow ? PinValue.Low : PinValue.High;
        string[] fields = ["switches.limit_left", "switches.limit_right", "switches.emergency_stop"];
        try
        {
            for (; _opened < _pins.Length; _opened++)
            {
                int pin = _pins[_opened];
                RigPins.Guard(fields[_opened], pin, -1, () =>
                {
                    gpio.OpenPin(pin, config.ActiveLow ? PinMode.InputPullUp : PinMode.InputPullDown);
                    return 0;
                });
                gpio.RegisterCallbackForPinValueChangedEvent(pin, _pressEdge, OnPress);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Raised on the callback's thread when a switch is pressed.</summary>
    public event Action<RigSwitch>? Pressed;

    /// <summary>The switch's level now.</summary>
    public bool IsPressed(RigSwitch which) => _gpio.Read(_pins[(int)which]) == _pressedLevel;

    /// <summary>The first pressed switch, or null.</summary>
    public RigSwitch? AnyPressed()
    {
        for (int i = 0; i < _pins.Length; i++)
        {
            if (IsPressed((RigSwitch)i))
            {
                return (RigSwitch)i;
            }
        }

        return null;
    }

    /// <summary>A readable name of the switch <paramref name="which"/> (for messages).</summary>
    public static string Describe(RigSwitch which) => which switch
    {
        RigSwitch.LimitLeft => "left limit switch",
        RigSwitch.LimitRight => "right limit switch",
        _ => "emergency stop",
    };

    private void OnPress(object sender, PinValueChangedEventArgs e)
    {
        int i = Array.IndexOf(_pins, e.PinNumber);
        if (i >= 0)
        {
            Pressed?.Invoke((RigSwitch)i);
        }
    }

    /// <summary>Removes the callbacks and closes the pins.</summary>
    public void Dispose()
    {
        for (int i = 0; i < _opened; i++)
        {
            _gpio.UnregisterCallbackForPinValueChangedEvent(_pins[i], OnPress);
            _gpio.ClosePin(_pins[i]);
        }

        _opened = 0;
    }
}
