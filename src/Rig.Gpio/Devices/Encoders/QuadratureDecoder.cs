using System.Device.Gpio;

namespace EdgeNet.Rig.Devices.Encoders;

/// <summary>
/// A full x4 quadrature decoder on <see cref="GpioController"/> edge callbacks: every rising and falling edge
/// of A and B goes through the state table below, using the edge's own level (from the event, not a later
/// read of its pin) and the other pin's level read at once. A state two steps away from the last one means an
/// edge was missed (counted in <see cref="IllegalTransitions"/>, the count left alone); an edge that leaves
/// the state unchanged means its opposite edge was missed (<see cref="RepeatedEdges"/>).
/// <code>
/// state = A·2 + B        +1: 00→10→11→01→00 (A leads B)      −1: the reverse
/// </code>
/// </summary>
public sealed class QuadratureDecoder : IEncoderSource
{
    // Delta[old * 4 + new]: 0 same state, ±1 one step, 2 illegal (both pins changed).
    private static readonly sbyte[] Delta =
    [
        // new:   00  01  10  11
        /* 00 */  0, -1, +1,  2,
        /* 01 */ +1,  0,  2, -1,
        /* 10 */ -1,  2,  0, +1,
        /* 11 */  2, +1, -1,  0,
    ];

    private readonly GpioController _gpio;
    private readonly int _pinA;
    private readonly int _pinB;
    private readonly int _sign;
    private readonly Lock _gate = new();
    private int _state;
    private long _count;
    private long _illegal;
    private long _repeated;

    /// <param name="gpio">The controller (not disposed here).</param>
    /// <param name="pinA">Channel A.</param>
    /// <param name="pinB">Channel B.</param>
    /// <param name="invert">Count the other way (instead of swapping the wires).</param>
    public QuadratureDecoder(GpioController gpio, int pinA, int pinB, bool invert = false)
    {
        ArgumentNullException.ThrowIfNull(gpio);
        _gpio = gpio;
        _pinA = pinA;
        _pinB = pinB;
        _sign = invert ? -1 : 1;
        gpio.OpenPin(pinA, PinMode.InputPullUp);
        try
        {
            gpio.OpenPin(pinB, PinMode.InputPullUp);
        }
        catch
        {
            gpio.ClosePin(pinA);
            throw;
        }

        _state = ((gpio.Read(pinA) == PinValue.High ? 1 : 0) << 1) | (gpio.Read(pinB) == PinValue.High ? 1 : 0);
        gpio.RegisterCallbackForPinValueChangedEvent(pinA, PinEventTypes.Rising | PinEventTypes.Falling, OnEdge);
        gpio.RegisterCallbackForPinValueChangedEvent(pinB, PinEventTypes.Rising | PinEventTypes.Falling, OnEdge);
    }

    /// <inheritdoc/>
    public long Count => Interlocked.Read(ref _count);

    /// <inheritdoc/>
    public long IllegalTransitions => Interlocked.Read(ref _illegal);

    /// <inheritdoc/>
    public long RepeatedEdges => Interlocked.Read(ref _repeated);

    /// <inheritdoc/>
    public string Description => $"x4 decoder on GPIO {_pinA}/{_pinB}";

    /// <inheritdoc/>
    public void Zero() => Interlocked.Exchange(ref _count, 0);

    /// <summary>The transition from <paramref name="from"/> to <paramref name="to"/> (states A·2+B): 0, ±1, or 2 for illegal.</summary>
    public static int Step(int from, int to) => Delta[(from * 4) + to];

    private void OnEdge(object sender, PinValueChangedEventArgs e)
    {
        int level = e.ChangeType == PinEventTypes.Rising ? 1 : 0;
        lock (_gate)
        {
            int a, b;
            if (e.PinNumber == _pinA)
            {
                a = level;
                b = _gpio.Read(_pinB) == PinValue.High ? 1 : 0;
            }
            else
            {
                a = _gpio.Read(_pinA) == PinValue.High ? 1 : 0;
                b = level;
            }

            int next = (a << 1) | b;
            switch ((int)Delta[(_state * 4) + next])
            {
                case 0:
                    Interlocked.Increment(ref _repeated);
                    break;
                case 2:
                    Interlocked.Increment(ref _illegal);
                    break;
                case int d:
                    Interlocked.Add(ref _count, d * _sign);
                    break;
            }

            _state = next;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _gpio.UnregisterCallbackForPinValueChangedEvent(_pinA, OnEdge);
        _gpio.UnregisterCallbackForPinValueChangedEvent(_pinB, OnEdge);
        _gpio.ClosePin(_pinA);
        _gpio.ClosePin(_pinB);
    }
}
