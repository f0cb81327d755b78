using System.Device.Gpio;
using System.Device.Pwm;
using EdgeNet.Rig.Config;
using EdgeNet.Rig.Control;
using EdgeNet.Rig.Devices;

namespace EdgeNet.Rig.CartPole;

/// <summary>
/// The physical rig: the board's GPIO chip (libgpiod through <see cref="GpioController"/>), the sysfs PWM
/// channel the configuration names, the monotonic clock; episodes start by homing. The one place that
/// opens real devices; everything below takes them from here.
/// </summary>
public sealed class HardwareRig : IDisposable
{
    private readonly GpioController _gpio;
    private readonly PwmChannel _pwm;

    private HardwareRig(GpioController gpio, PwmChannel pwm, GpioCartPoleRig rig) => (_gpio, _pwm, Rig) = (gpio, pwm, rig);

    /// <summary>The rig over the board's GPIO chip and PWM channel.</summary>
    public GpioCartPoleRig Rig { get; }

    /// <summary>True where this machine has a GPIO character device (<c>/dev/gpiochip*</c>).</summary>
    public static bool IsPresent => OperatingSystem.IsLinux() && Directory.Exists("/dev") && Directory.GetFiles("/dev", "gpiochip*").Length > 0;

    /// <summary>Opens the devices of <paramref name="config"/>; failures name the configuration field and the fix.</summary>
    public static HardwareRig Open(RigConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!IsPresent)
        {
            throw new RigHardwareException("no GPIO chip on this machine (/dev/gpiochip* is missing): run on the board, or add --simulated to use the simulated rig");
        }

        var gpio = RigPins.Guard("gpio", 0, -1, () => new GpioController());
        PwmChannel? pwm = null;
        try
        {
            var m = config.Motor;
            try
            {
                pwm = PwmChannel.Create(m.PwmChip, m.PwmChannel, m.PwmFrequency, 0);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                throw new RigHardwareException($"motor.pwm_chip/pwm_channel: /sys/class/pwm/pwmchip{m.PwmChip}/pwm{m.PwmChannel} cannot be opened ({ex.Message}); enable the PWM overlay (Pi: dtoverlay=pwm-2chan) and check the chip and channel numbers", ex);
            }

            return new HardwareRig(gpio, pwm, new GpioCartPoleRig(config, gpio, pwm, new MonotonicClock()));
        }
        catch
        {
            pwm?.Dispose();
            gpio.Dispose();
            throw;
        }
    }

    /// <summary>Stops the motor and closes the GPIO chip and the PWM channel.</summary>
    public void Dispose()
    {
        Rig.Dispose();
        _pwm.Dispose();
        _gpio.Dispose();
    }
}
