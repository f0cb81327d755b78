using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using System.Device.Pwm;
using EdgeNet.Rig.Boards;
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

    /// <summary>
    /// Opens the devices of <paramref name="config"/>; failures name the configuration field and the fix. With a
    /// <c>board</c> in rig.json the header's GPIO chip is found by its label and the pins by the board's pin map
    /// (<see cref="RigWiring"/>); without, the default chip's lines and the configured PWM chip.
    /// </summary>
    public static HardwareRig Open(RigConfig config, string source = "rig.json")
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!IsPresent)
        {
            throw new RigHardwareException("no GPIO chip on this machine (/dev/gpiochip* is missing): run on the board, or add --simulated to use the simulated rig");
        }

        RigWiring? wiring = config.Board == "none" ? null : RigWiring.Resolve(config, "/", new KernelGpioChips(), source);
        var lines = wiring?.Lines ?? config;
        var gpio = RigPins.Guard("gpio", 0, -1, () => wiring is null ? new GpioController() : new GpioController(new LibGpiodDriver(wiring.Chip.Number)));
        PwmChannel? pwm = null;
        try
        {
            var m = lines.Motor;
            pwm = OpenPwm(m.PwmChip, m.PwmChannel, m.PwmFrequency);
            return new HardwareRig(gpio, pwm, new GpioCartPoleRig(lines, gpio, pwm, new MonotonicClock()));
        }
        catch
        {
            pwm?.Dispose();
            gpio.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Exports and opens the sysfs PWM channel. Exporting creates root-owned files that udev hands to the gpio group a
    /// moment later (99-edgenet.rules): a refusal is retried for up to two seconds before it is reported.
    /// </summary>
    private static PwmChannel OpenPwm(int chip, int channel, int frequency)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (true)
        {
            try
            {
                return PwmChannel.Create(chip, channel, frequency, 0);
            }
            catch (UnauthorizedAccessException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                throw new RigHardwareException($"motor.pwm_chip/pwm_channel: /sys/class/pwm/pwmchip{chip}/pwm{channel} cannot be opened ({ex.Message}); enable the PWM overlay (Pi: dtoverlay=pwm-2chan), check the chip and channel numbers, and that the service's user is in the gpio group (99-edgenet.rules)", ex);
            }
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
