using System.Device.Gpio;

namespace EdgeNet.Rig.Simulation;

/// <summary>
/// A GPIO chip in memory, under the real <see cref="GpioController"/>: pins open, take modes, are written
/// by the program and driven by the simulated rig (<see cref="Drive"/>), and deliver edge callbacks exactly
/// as the libgpiod driver does (one per level change, with its edge type). Outputs written by the program
/// raise <see cref="OutputChanged"/> so the simulator sees the H-bridge's direction pins.
/// <see cref="DropEdges"/> loses a fraction of the callbacks (the level still changes), as a userspace
/// driver does at speed; <see cref="FailOpen"/> makes a pin fail to open (a line held by another process).
/// </summary>
public sealed class SimulatedGpioDriver : GpioDriver
{
    private const int Pins = 64;
    private readonly PinValue[] _levels = new PinValue[Pins];
    private readonly PinMode[] _modes = new PinMode[Pins];
    private readonly bool[] _open = new bool[Pins];
    private readonly List<(PinEventTypes Types, PinChangeEventHandler Handler)>[] _callbacks = new List<(PinEventTypes, PinChangeEventHandler)>[Pins];
    private readonly HashSet<int> _failing = [];
    private readonly Random _drops = new(12345);
    private readonly Lock _gate = new();

    /// <summary>A chip with every line free, levels low.</summary>
    public SimulatedGpioDriver()
    {
        for (int i = 0; i < Pins; i++)
        {
            _callbacks[i] = [];
        }
    }

    /// <summary>Raised when the program writes an output pin (pin, new level).</summary>
    public event Action<int, PinValue>? OutputChanged;

    /// <summary>Fraction of edge callbacks lost (0: none).</summary>
    public double DropEdges { get; set; }

    /// <summary>Edge callbacks delivered and dropped so far.</summary>
    public long EdgesDelivered { get; private set; }

    /// <summary>Edges that came faster than a callback could be delivered and were dropped (as libgpiod drops them).</summary>
    public long EdgesDropped { get; private set; }

    /// <inheritdoc/>
    protected override int PinCount => Pins;

    /// <summary>Makes opening <paramref name="pin"/> fail as a busy line does.</summary>
    public void FailOpen(int pin) => _failing.Add(pin);

    /// <summary>The level of a pin now (outputs: what the program wrote).</summary>
    public PinValue Level(int pin) => _levels[Check(pin)];

    /// <summary>True while the program holds the pin open.</summary>
    public bool IsOpen(int pin) => _open[Check(pin)];

    /// <summary>The simulated world sets an input's level; a change calls the matching callbacks (on this thread).</summary>
    public void Drive(int pin, PinValue level)
    {
        Check(pin);
        PinChangeEventHandler[]? handlers = null;
        PinEventTypes edge;
        lock (_gate)
        {
            if (_levels[pin] == level)
            {
                return;
            }

            _levels[pin] = level;
            edge = level == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
            var list = _callbacks[pin];
            if (list.Count > 0)
            {
                if (DropEdges > 0 && _drops.NextDouble() < DropEdges)
                {
                    EdgesDropped++;
                    return;
                }

                handlers = new PinChangeEventHandler[list.Count];
                int n = 0;
                foreach (var (types, handler) in list)
                {
                    if ((types & edge) != 0)
                    {
                        handlers[n++] = handler;
                    }
                }

                Array.Resize(ref handlers, n);
                EdgesDelivered += n;
            }
        }

        if (handlers is { Length: > 0 })
        {
            var args = new PinValueChangedEventArgs(edge, pin);
            foreach (var h in handlers)
            {
                h(this, args);
            }
        }
    }

    /// <inheritdoc/>
    protected override void OpenPin(int pinNumber)
    {
        Check(pinNumber);
        if (_failing.Contains(pinNumber))
        {
            throw new IOException($"simulated GPIO {pinNumber}: line busy (held by another consumer)");
        }

        _open[pinNumber] = true;
    }

    /// <inheritdoc/>
    protected override void ClosePin(int pinNumber)
    {
        lock (_gate)
        {
            _open[Check(pinNumber)] = false;
            _callbacks[pinNumber].Clear();
        }
    }

    /// <inheritdoc/>
    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        _modes[Check(pinNumber)] = mode;
        if (mode == PinMode.InputPullUp && !_driven.Contains(pinNumber))
        {
            _levels[pinNumber] = PinValue.High;
        }
    }

    private readonly HashSet<int> _driven = [];

    /// <summary>Marks a pin as driven by the simulated world (a pull-up then does not change its level).</summary>
    public void Claim(int pin) => _driven.Add(Check(pin));

    /// <inheritdoc/>
    protected override PinMode GetPinMode(int pinNumber) => _modes[Check(pinNumber)];

    /// <inheritdoc/>
    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    /// <inheritdoc/>
    protected override PinValue Read(int pinNumber) => _levels[Check(pinNumber)];

    /// <inheritdoc/>
    protected override void Write(int pinNumber, PinValue value)
    {
        Check(pinNumber);
        if (_modes[pinNumber] != PinMode.Output)
        {
            throw new InvalidOperationException($"simulated GPIO {pinNumber}: written while in mode {_modes[pinNumber]}; set it to Output first");
        }

        bool changed;
        lock (_gate)
        {
            changed = _levels[pinNumber] != value;
            _levels[pinNumber] = value;
        }

        if (changed)
        {
            OutputChanged?.Invoke(pinNumber, value);
        }
    }

    /// <inheritdoc/>
    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        using var seen = new ManualResetEventSlim();
        PinEventTypes got = PinEventTypes.None;
        void Handler(object s, PinValueChangedEventArgs e)
        {
            got = e.ChangeType;
            seen.Set();
        }

        AddCallbackForPinValueChangedEvent(pinNumber, eventTypes, Handler);
        try
        {
            seen.Wait(cancellationToken);
            return new WaitForEventResult { EventTypes = got, TimedOut = false };
        }
        catch (OperationCanceledException)
        {
            return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
        }
        finally
        {
            RemoveCallbackForPinValueChangedEvent(pinNumber, Handler);
        }
    }

    /// <inheritdoc/>
    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_gate)
        {
            _callbacks[Check(pinNumber)].Add((eventTypes, callback));
        }
    }

    /// <inheritdoc/>
    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_gate)
        {
            _callbacks[Check(pinNumber)].RemoveAll(c => c.Handler == callback);
        }
    }

    private static int Check(int pin) => pin is >= 0 and < Pins
        ? pin
        : throw new ArgumentOutOfRangeException(nameof(pin), pin, $"the simulated GPIO chip has lines 0..{Pins - 1}");
}
