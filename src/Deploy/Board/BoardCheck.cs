using EdgeNet.Deploy.Manifest;

namespace EdgeNet.Deploy.Board;

/// <summary>One way a board does not suit a bundle: the manifest field, what was found, the fix.</summary>
/// <param name="Field">The manifest field (<c>compatible</c>, <c>arch</c>, <c>min_glibc</c>, <c>cpu_features</c>, <c>devices</c>).</param>
/// <param name="Problem">What the board has instead.</param>
/// <param name="Fix">What the user does about it.</param>
public sealed record BoardMismatch(string Field, string Problem, string Fix);

/// <summary>Checks a manifest's requirements against a board, every one of them, before anything is installed.</summary>
public static class BoardCheck
{
    /// <summary>Every requirement of <paramref name="manifest"/> that <paramref name="board"/> does not meet (empty: it suits).</summary>
    public static IReadOnlyList<BoardMismatch> Check(BundleManifest manifest, BoardFacts board)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(board);
        var problems = new List<BoardMismatch>();
        if (manifest.Compatible.Count > 0 && !Overlap(manifest.Compatible, board.Compatible))
        {
            string has = board.Compatible.Count == 0 ? "no device tree (proc/device-tree/compatible is missing)" : $"'{string.Join("', '", board.Compatible)}'";
            problems.Add(new BoardMismatch("compatible",
                $"the bundle is for {manifest.Target} ({string.Join(", ", manifest.Compatible)}), this board is {has}{(board.Model is null ? "" : $" ({board.Model})")}",
                "build a bundle for this board: edgenet-fw bundle --target " + GuessTarget(board)));
        }

        if (!string.Equals(manifest.Arch, board.Arch, StringComparison.Ordinal))
        {
            problems.Add(new BoardMismatch("arch", $"the binary is {manifest.Arch}, this machine is {board.Arch}", "build the bundle for this machine's target"));
        }

        var need = Version.Parse(manifest.MinGlibc);
        if (board.Glibc is null)
        {
            problems.Add(new BoardMismatch("min_glibc", $"needs glibc {manifest.MinGlibc}, this system's C library is not glibc", "use a glibc distribution (Raspberry Pi OS, Ubuntu, JetPack)"));
        }
        else if (board.Glibc < need)
        {
            problems.Add(new BoardMismatch("min_glibc", $"needs glibc {manifest.MinGlibc}, this board has {board.Glibc}",
                "upgrade the OS (Raspberry Pi OS bookworm, Ubuntu 22.04 / JetPack 6 have 2.35+) or build on a machine with an older glibc"));
        }

        var missingFeatures = new List<string>();
        foreach (var f in manifest.CpuFeatures)
        {
            if (!board.CpuFeatures.Contains(f))
            {
                missingFeatures.Add(f);
            }
        }

        if (missingFeatures.Count > 0 && board.CpuFeatures.Count > 0)
        {
            problems.Add(new BoardMismatch("cpu_features", $"the binary needs {string.Join(", ", missingFeatures)}, which this CPU lacks",
                missingFeatures.Contains("asimddp") ? "use the rpi4 target (no SDOT) for this CPU" : "build for this CPU's target"));
        }
        else if (missingFeatures.Count > 0)
        {
            problems.Add(new BoardMismatch("cpu_features", "proc/cpuinfo is missing or lists no features", "run on the board (or give a tree with proc/cpuinfo)"));
        }

        foreach (var device in manifest.Devices)
        {
            if (!DeviceExists(board.Root, device))
            {
                problems.Add(new BoardMismatch("devices", $"{device} does not exist", DeviceFix(device)));
            }
        }

        return problems;
    }

    /// <summary>A device path under the root; a '*' in its last segment matches any node (<c>/dev/gpiochip*</c>: some GPIO chip).</summary>
    private static bool DeviceExists(string root, string device)
    {
        string path = Path.Combine(root, device.TrimStart('/'));
        string name = Path.GetFileName(path);
        if (!name.Contains('*', StringComparison.Ordinal))
        {
            return File.Exists(path) || Directory.Exists(path);
        }

        string folder = Path.GetDirectoryName(path)!;
        return Directory.Exists(folder) && Directory.GetFileSystemEntries(folder, name).Length > 0;
    }

    private static bool Overlap(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        foreach (var x in a)
        {
            foreach (var y in b)
            {
                if (string.Equals(x, y, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string DeviceFix(string device) =>
        device.Contains("pwmchip", StringComparison.Ordinal) ? "enable hardware PWM (Pi: dtoverlay=pwm-2chan in config.txt) and reboot"
        : device.Contains("gpiochip", StringComparison.Ordinal) ? "check the GPIO chip (gpiodetect) and rig.json's chip"
        : device.Contains("video", StringComparison.Ordinal) ? "connect the camera (v4l2-ctl --list-devices)"
        : "connect or enable the device";

    private static string GuessTarget(BoardFacts board)
    {
        foreach (var t in Enum.GetValues<DeployTarget>())
        {
            if (Overlap(DeployTargetInfo.Of(t).Compatible, board.Compatible))
            {
                return DeployTargetInfo.Of(t).Name;
            }
        }

        return board.Arch == "x86_64" ? "x64" : "rpi4 (the build without SDOT runs on any 64-bit ARM board)";
    }
}
