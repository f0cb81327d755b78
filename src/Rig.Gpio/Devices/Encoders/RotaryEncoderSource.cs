using System.Device.Gpio;
using Iot.Device.RotaryEncoder;

namespace EdgeNet.Rig.Devices.Encoders;

/// <summary>
/// x1 (falling edges of A) or x2 (both edges of A) counting through dotnet/iot's
/// <see cref="QuadratureRotaryEncoder"/>, for encoders where that resolution is enough: half or a quarter
/// of the callbacks of x4, so fewer lost at speed. Its software debounce is switched off (an optical or
/// magnetic encoder does not bounce, and a debounce drops real edges). It cannot tell lost edges.
/// </summary>
public sealed class RotaryEncoderSource : IEncoderSource
{
    private readonly QuadratureRotaryEncoder _encoder;
    private readonly int _pinA;
    private readonly int _pinB;
    private readonly int _sign;
    private readonly bool _x2;

    /// <summary>dotnet/iot's <c>QuadratureRotaryEncoder</c> on <paramref name="pinA"/>/<paramref name="pinB"/>: x1 (falling edges of A) or, with <paramref name="bothEdges"/>, x2; its debounce is off (a rig's encoder does not bounce, and debouncing loses counts at speed).</summary>
    public RotaryEncoderSource(GpioController gpio, int pinA, int pinB, bool bothEdges, int countsPerRevolution, bool invert = false)
    {
        ArgumentNullException.ThrowIfNull(gpio);
        _pinA = pinA;
        _pinB = pinB;
        _x2 = bothEdges;
        _sign = invert ? -1 : 1;
        _encoder = new QuadratureRotaryEncoder(pinA, pinB, bothEdges ? PinEventTypes.Rising | PinEventTypes.Falling : PinEventTypes.Falling, countsPerRevolution, gpio, shouldDispose: false)
        {
            Debounce = TimeSpan.Zero,
        };
    }

    // QuadratureRotaryEncoder counts up when A equals B after A's edge; this rig's +x is A leading B.
    /// <inheritdoc/>
    public long Count => -_sign * _encoder.PulseCount;

    /// <inheritdoc/>
    public long IllegalTransitions => -1;

    /// <inheritdoc/>
    public long RepeatedEdges => -1;

    /// <inheritdoc/>
    public string Description => $"{(_x2 ? "x2" : "x1")} QuadratureRotaryEncoder on GPIO {_pinA}/{_pinB}";

    /// <inheritdoc/>
    public void Zero() => _encoder.PulseCount = 0;

    /// <inheritdoc/>
    public void Dispose()
    {
        _encoder.Dispose();
    }
}
