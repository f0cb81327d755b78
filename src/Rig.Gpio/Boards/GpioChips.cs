using System.Runtime.InteropServices;
using System.Text;

namespace EdgeNet.Rig.Boards;

/// <summary>A GPIO character device: its number (<c>/dev/gpiochipN</c>), name, label and line count.</summary>
/// <param name="Number">N of <c>/dev/gpiochipN</c> (changes between kernels: never configured, always looked up).</param>
/// <param name="Name">The kernel's device name.</param>
/// <param name="Label">The driver's label (<c>pinctrl-rp1</c>): what a pin map names.</param>
/// <param name="Lines">How many lines it has.</param>
public sealed record GpioChipInfo(int Number, string Name, string Label, int Lines);

/// <summary>The GPIO chips a machine has and their lines' names.</summary>
public interface IGpioChips
{
    /// <summary>Every chip.</summary>
    IReadOnlyList<GpioChipInfo> Chips();

    /// <summary>The kernel's name of <paramref name="line"/> on chip <paramref name="chip"/>, or null when unnamed or unreadable.</summary>
    string? LineName(int chip, int line);
}

/// <summary>
/// The kernel's GPIO chips through the character device's ioctls (<c>GPIO_GET_CHIPINFO_IOCTL</c>,
/// <c>GPIO_GET_LINEINFO_IOCTL</c>: what libgpiod's gpiodetect and gpioinfo ask), no library needed.
/// </summary>
public sealed partial class KernelGpioChips : IGpioChips
{
    private const uint ChipInfoIoctl = 0x8044B401; // _IOR(0xB4, 0x01, struct gpiochip_info): name[32], label[32], u32 lines
    private const uint LineInfoIoctl = 0xC048B402; // _IOWR(0xB4, 0x02, struct gpioline_info): u32 offset, u32 flags, name[32], consumer[32]
    private const int ReadOnly = 0, CloseOnExec = 0x80000;

    /// <inheritdoc/>
    public IReadOnlyList<GpioChipInfo> Chips()
    {
        var chips = new List<GpioChipInfo>();
        if (!Directory.Exists("/dev"))
        {
            return chips;
        }

        Span<byte> info = stackalloc byte[68];
        foreach (var path in Directory.GetFiles("/dev", "gpiochip*"))
        {
            if (!int.TryParse(Path.GetFileName(path).AsSpan("gpiochip".Length), out int number))
            {
                continue;
            }

            int fd = open(path, ReadOnly | CloseOnExec);
            if (fd < 0)
            {
                continue; // not ours to read (permissions): the rig's own open reports it
            }

            try
            {
                info.Clear();
                unsafe
                {
                    fixed (byte* p = info)
                    {
                        if (ioctl(fd, ChipInfoIoctl, p) != 0)
                        {
                            continue;
                        }
                    }
                }

                chips.Add(new GpioChipInfo(number, Text(info[..32]), Text(info.Slice(32, 32)), BitConverter.ToInt32(info[64..])));
            }
            finally
            {
                _ = close(fd);
            }
        }

        chips.Sort((a, b) => a.Number.CompareTo(b.Number));
        return chips;
    }

    /// <inheritdoc/>
    public string? LineName(int chip, int line)
    {
        int fd = open($"/dev/gpiochip{chip}", ReadOnly | CloseOnExec);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            Span<byte> info = stackalloc byte[72];
            BitConverter.TryWriteBytes(info, (uint)line);
            unsafe
            {
                fixed (byte* p = info)
                {
                    return ioctl(fd, LineInfoIoctl, p) == 0 ? Text(info.Slice(8, 32)) : null;
                }
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    private static string Text(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? bytes : bytes[..end]);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl")]
    private static unsafe partial int ioctl(int fd, nuint request, byte* arg);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int close(int fd);
}

/// <summary>Hardware PWM controllers as sysfs shows them: <c>/sys/class/pwm/pwmchipN</c> and the device each belongs to.</summary>
public static class PwmChips
{
    /// <summary>
    /// The pwmchip number of <paramref name="controller"/> (a device name such as <c>fe20c000.pwm</c>) under
    /// <paramref name="root"/>, or null. Names match exactly, or by their last five address digits and <c>.pwm</c>
    /// (the Pi 5's RP1 PWM is <c>1f00098000.pwm</c> or <c>40098000.pwm</c> by device tree).
    /// </summary>
    public static int? Find(string root, string controller)
    {
        string pwm = Path.Combine(root, "sys/class/pwm");
        if (!Directory.Exists(pwm))
        {
            return null;
        }

        foreach (var chip in Directory.GetFileSystemEntries(pwm, "pwmchip*"))
        {
            string? device = DeviceName(chip);
            if (device is not null && Same(device, controller) && int.TryParse(Path.GetFileName(chip).AsSpan("pwmchip".Length), out int n))
            {
                return n;
            }
        }

        return null;
    }

    /// <summary>What each pwmchip under <paramref name="root"/> belongs to (for the refusal that lists them).</summary>
    public static List<string> Describe(string root)
    {
        var list = new List<string>();
        string pwm = Path.Combine(root, "sys/class/pwm");
        if (Directory.Exists(pwm))
        {
            foreach (var chip in Directory.GetFileSystemEntries(pwm, "pwmchip*"))
            {
                list.Add($"{Path.GetFileName(chip)} -> {DeviceName(chip) ?? "?"}");
            }
        }

        return list;
    }

    private static string? DeviceName(string chip)
    {
        var link = new FileInfo(Path.Combine(chip, "device")).LinkTarget ?? new DirectoryInfo(Path.Combine(chip, "device")).LinkTarget;
        return link is null ? null : Path.GetFileName(link.TrimEnd('/'));
    }

    private static bool Same(string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal) || (a.Length >= 9 && b.Length >= 9 && a.EndsWith(".pwm", StringComparison.Ordinal) && string.Equals(a[^9..], b[^9..], StringComparison.Ordinal));
}
