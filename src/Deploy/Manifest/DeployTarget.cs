namespace EdgeNet.Deploy.Manifest;

/// <summary>The boards a bundle is built for.</summary>
public enum DeployTarget
{
    /// <summary>Raspberry Pi 4 (Cortex-A72, ARMv8.0: no SDOT).</summary>
    Rpi4,

    /// <summary>Raspberry Pi 5 (Cortex-A76, ARMv8.2 with SDOT).</summary>
    Rpi5,

    /// <summary>Jetson Orin Nano / NX (Cortex-A78AE, ARMv8.2 with SDOT).</summary>
    JetsonOrin,

    /// <summary>An x86-64 PC with AVX2 and FMA (x86-64-v3).</summary>
    X64,
}

/// <summary>What each <see cref="DeployTarget"/> means for the build and for the board's checks.</summary>
/// <param name="Name">The target's name on the command line and in the manifest.</param>
/// <param name="PublishTarget">The <c>firmware-tools/publish.sh</c> target: the runtime identifier and instruction set.</param>
/// <param name="Arch">The board's <c>uname -m</c>.</param>
/// <param name="Compatible">Device-tree <c>compatible</c> strings of the boards it runs on (empty: no device tree needed).</param>
/// <param name="CpuFeatures">The <c>/proc/cpuinfo</c> features the binary's instruction set needs.</param>
public sealed record DeployTargetInfo(string Name, string PublishTarget, string Arch, IReadOnlyList<string> Compatible, IReadOnlyList<string> CpuFeatures)
{
    /// <summary>glibc of the build machine (Debian 12): a binary linked here needs at least this.</summary>
    public const string MinGlibc = "2.34";

    /// <summary>The table (the compatible strings are the boards' device trees: raspberrypi/linux and NVIDIA's L4T).</summary>
    public static DeployTargetInfo Of(DeployTarget target) => target switch
    {
        DeployTarget.Rpi4 => new("rpi4", "linux-arm64", "aarch64", ["raspberrypi,4-model-b", "raspberrypi,400", "raspberrypi,4-compute-module"], ["asimd"]),
        DeployTarget.Rpi5 => new("rpi5", "linux-arm64-dotprod", "aarch64", ["raspberrypi,5-model-b", "raspberrypi,500", "raspberrypi,5-compute-module"], ["asimd", "asimddp"]),
        DeployTarget.JetsonOrin => new("jetson-orin", "linux-arm64-dotprod", "aarch64", ["nvidia,p3767-0003", "nvidia,p3767-0004", "nvidia,p3767-0005", "nvidia,p3767-0000", "nvidia,p3767-0001"], ["asimd", "asimddp"]),
        DeployTarget.X64 => new("x64", "linux-x64", "x86_64", [], ["avx2", "fma"]),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "no such target"),
    };

    /// <summary>The target named <paramref name="name"/>, or a clear refusal listing the names.</summary>
    public static DeployTarget Parse(string name)
    {
        foreach (var t in Enum.GetValues<DeployTarget>())
        {
            if (string.Equals(Of(t).Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return t;
            }
        }

        throw new DeployException("--target", "target", $"'{name}' is not a board this builds for", $"give one of {string.Join(", ", Array.ConvertAll(Enum.GetValues<DeployTarget>(), t => Of(t).Name))}");
    }
}
