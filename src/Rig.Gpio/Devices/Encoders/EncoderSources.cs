using System.Device.Gpio;
using EdgeNet.Rig.Config;

namespace EdgeNet.Rig.Devices.Encoders;

/// <summary>Opens the encoder source a configuration names.</summary>
public static class EncoderSources
{
    /// <summary>The source for <paramref name="config"/>; <paramref name="field"/> (pole_encoder, cart_encoder) names it in errors.</summary>
    public static IEncoderSource Open(EncoderConfig config, GpioController gpio, string field)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Decoding switch
        {
            EncoderDecoding.X4 => RigPins.Guard(field, config.PinA, config.PinB, () => new QuadratureDecoder(gpio, config.PinA, config.PinB, config.Invert)),
            EncoderDecoding.X2 or EncoderDecoding.X1 => RigPins.Guard(field, config.PinA, config.PinB, () => new RotaryEncoderSource(gpio, config.PinA, config.PinB, config.Decoding == EncoderDecoding.X2, config.CountsPerRevolution, config.Invert)),
            EncoderDecoding.Evdev => EvdevEncoderSource.Open(config.EvdevDevice!, config.Invert),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Decoding, $"{field}.decoding: unknown"),
        };
    }
}
