using System.Runtime.InteropServices;

namespace EdgeNet.Deploy.Board;

/// <summary>What a board is, as a bundle's checks need it: read from a root folder (<c>/</c> on the board, a tree in tests).</summary>
/// <param name="Root">The root the facts were read under.</param>
/// <param name="Compatible">The device tree's <c>compatible</c> strings, most specific first (empty without a device tree).</param>
/// <param name="Model">The device tree's <c>model</c> (e.g. "Raspberry Pi 5 Model B Rev 1.0"), or null.</param>
/// <param name="Arch">The machine (<c>aarch64</c>, <c>x86_64</c>).</param>
/// <param name="Glibc">The C library's version, or null when it is not glibc.</param>
/// <param name="CpuFeatures">The CPU's features as <c>/proc/cpuinfo</c> names them.</param>
public sealed partial record BoardFacts(string Root, IReadOnlyList<string> Compatible, string? Model, string Arch, Version? Glibc, IReadOnlySet<string> CpuFeatures)
{
    /// <summary>
    /// Reads the facts under <paramref name="root"/>: <c>proc/device-tree/compatible</c> and <c>model</c>,
    /// <c>proc/cpuinfo</c> (its <c>Features</c> line on arm64, <c>flags</c> on x86; the architecture follows from which),
    /// and the running process's glibc unless <paramref name="glibc"/> stands in for another board's.
    /// </summary>
    public static BoardFacts Read(string root, Version? glibc = null)
    {
        string compatiblePath = Path.Combine(root, "proc/device-tree/compatible");
        var compatible = File.Exists(compatiblePath)
            ? File.ReadAllText(compatiblePath).Split('\0', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
        string modelPath = Path.Combine(root, "proc/device-tree/model");
        string? model = File.Exists(modelPath) ? File.ReadAllText(modelPath).TrimEnd('\0', '\n') : null;
        var (arch, features) = ReadCpu(Path.Combine(root, "proc/cpuinfo"));
        if (Path.GetFullPath(root) == "/")
        {
            arch = ProcessArch(); // the machine itself (a 32-bit ARM kernel prints a Features line too)
        }

        return new BoardFacts(root, compatible, model, arch, glibc ?? RunningGlibc(), features);
    }

    private static (string Arch, HashSet<string> Features) ReadCpu(string cpuinfo)
    {
        string processArch = ProcessArch();
        if (!File.Exists(cpuinfo))
        {
            return (processArch, []);
        }

        foreach (var line in File.ReadLines(cpuinfo))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            string key = line[..colon].Trim();
            if (key is "Features" or "flags")
            {
                var features = new HashSet<string>(line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
                return (key == "Features" ? "aarch64" : "x86_64", features);
            }
        }

        return (processArch, []);
    }

    private static string ProcessArch() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.Arm64 => "aarch64",
        Architecture.X64 => "x86_64",
        Architecture.Arm => "armv7l",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static Version? RunningGlibc()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var text = Marshal.PtrToStringUTF8(GnuGetLibcVersion());
            return Version.TryParse(text, out var v) ? v : null;
        }
        catch (EntryPointNotFoundException)
        {
            return null; // musl and others: not glibc.
        }
    }

    [LibraryImport("libc", EntryPoint = "gnu_get_libc_version")]
    private static partial IntPtr GnuGetLibcVersion();
}
