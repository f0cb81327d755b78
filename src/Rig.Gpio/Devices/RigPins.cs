namespace EdgeNet.Rig.Devices;

/// <summary>Opening a device's pins with an error that names the configuration field, the pin and the fix.</summary>
public static class RigPins
{
    /// <summary>Runs <paramref name="open"/>; a pin that cannot be opened becomes a <see cref="RigHardwareException"/> naming <paramref name="field"/>.</summary>
    public static T Guard<T>(string field, int pinA, int pinB, Func<T> open)
    {
        ArgumentNullException.ThrowIfNull(open);
        try
        {
            return open();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            string pins = pinB < 0 ? $"GPIO {pinA}" : $"GPIO {pinA}/{pinB}";
            throw new RigHardwareException($"{field}: {pins} cannot be opened ({ex.Message}); check the pin numbers in the rig configuration, that no other process or overlay holds the line (gpioinfo), and that the user may use /dev/gpiochip* (group gpio)", ex);
        }
    }
}

/// <summary>A device of the rig could not be opened or behaves wrongly; the message names the configuration field and the fix.</summary>
public sealed class RigHardwareException(string message, Exception? inner = null) : Exception(message, inner);
