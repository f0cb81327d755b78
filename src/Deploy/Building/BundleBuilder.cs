using System.Diagnostics;
using EdgeNet.Deploy.Bundles;
using EdgeNet.Deploy.Manifest;
using EdgeNet.Deploy.Service;

namespace EdgeNet.Deploy.Building;

/// <summary>What to put into a bundle.</summary>
public sealed class BundleRequest
{
    /// <summary>The board.</summary>
    public DeployTarget Target { get; init; }

    /// <summary>The release's version.</summary>
    public required string Version { get; init; }

    /// <summary>The PKCS#8 PEM private key (<c>edgenet-fw keys</c>).</summary>
    public required string SigningKey { get; init; }

    /// <summary>The folder the bundle is written to.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>A runtime binary already published for the target; null: publish it (<c>firmware-tools/publish.sh</c>).</summary>
    public string? Binary { get; init; }

    /// <summary>The repository root (for publishing).</summary>
    public string RepositoryRoot { get; init; } = ".";

    /// <summary>Model blobs, installed under <c>models/</c> by file name.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>The rig's configuration, or null.</summary>
    public string? RigConfig { get; init; }

    /// <summary>The self-test checks the rig in simulation (<c>rig selftest --simulated</c>: a demo on a PC).</summary>
    public bool SimulatedRig { get; init; }

    /// <summary>What the service runs, after <c>edgenet</c>; null: no service files in the bundle.</summary>
    public string? ServiceArguments { get; init; }

    /// <summary>systemd's watchdog timeout for the service.</summary>
    public TimeSpan Watchdog { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Device nodes the board must have.</summary>
    public IReadOnlyList<string> Devices { get; init; } = [];

    /// <summary>The source revision, for the manifest's <c>build</c>.</summary>
    public string Revision { get; init; } = "";
}

/// <summary>A bundle written.</summary>
/// <param name="Path">The <c>.tar.gz</c>.</param>
/// <param name="Manifest">Its manifest.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="PublishTime">Time spent publishing the runtime (zero with a prebuilt binary).</param>
/// <param name="PackTime">Time spent hashing, signing and packing.</param>
public sealed record BuiltBundle(string Path, BundleManifest Manifest, long Size, TimeSpan PublishTime, TimeSpan PackTime);

/// <summary>
/// Builds a signed bundle on the host: publishes the NativeAOT runtime for the target's instruction set (the SDOT
/// build where the CPU has it), writes the service files, and packs them with the blobs and <c>rig.json</c>.
/// </summary>
public static class BundleBuilder
{
    /// <summary>Builds the bundle <paramref name="request"/> describes; <paramref name="log"/> hears each step.</summary>
    public static BuiltBundle Build(BundleRequest request, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var info = DeployTargetInfo.Of(request.Target);
        if (!BundleManifest.IsSafeVersion(request.Version))
        {
            throw new DeployException("--version", "version", $"'{request.Version}' is not a release name", "use letters, digits and . _ + - (e.g. 1.2.0)");
        }

        Directory.CreateDirectory(request.OutputFolder);
        string work = Directory.CreateTempSubdirectory("edgenet-bundle-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            string binary = request.Binary ?? Publish(request, info, work, log);
            var publishTime = request.Binary is null ? clock.Elapsed : TimeSpan.Zero;
            clock.Restart();
            var inputs = new List<BundleInput> { new(BundleLayout.Binary, binary, Executable: true) };
            var selfTest = new List<List<string>>();
            foreach (var model in request.Models)
            {
                string name = BundleLayout.Models + Path.GetFileName(model);
                inputs.Add(new BundleInput(name, model));
                selfTest.Add(["inspect", "--verify", name]);
            }

            if (request.RigConfig is not null)
            {
                inputs.Add(new BundleInput(BundleLayout.RigConfig, request.RigConfig));
                selfTest.Add(request.SimulatedRig ? ["rig", "selftest", "--config", BundleLayout.RigConfig, "--simulated"] : ["rig", "selftest", "--config", BundleLayout.RigConfig]);
            }

            if (request.ServiceArguments is not null)
            {
                inputs.Add(Text(work, BundleLayout.ServiceUnit, ServiceFiles.Unit(info.Name, request.Version, request.ServiceArguments, request.Watchdog)));
                inputs.Add(Text(work, BundleLayout.RollbackUnit, ServiceFiles.RollbackUnit()));
                inputs.Add(Text(work, BundleLayout.UdevRules, ServiceFiles.UdevRules()));
            }

            var manifest = new BundleManifest
            {
                Version = request.Version,
                Build = $"{request.Revision} {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}".Trim(),
                Target = info.Name,
                Compatible = new List<string>(info.Compatible),
                Arch = info.Arch,
                MinGlibc = DeployTargetInfo.MinGlibc,
                CpuFeatures = new List<string>(info.CpuFeatures),
                Devices = new List<string>(request.Devices),
                SelfTest = selfTest,
            };
            string path = Path.Combine(request.OutputFolder, $"edgenet-{request.Version}-{info.Name}.tar.gz");
            log?.Invoke($"packing {inputs.Count} files into {path}");
            BundleWriter.Write(path, manifest, inputs, request.SigningKey);
            return new BuiltBundle(path, manifest, new FileInfo(path).Length, publishTime, clock.Elapsed);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static BundleInput Text(string work, string path, string text)
    {
        string file = Path.Combine(work, Path.GetFileName(path));
        File.WriteAllText(file, text);
        return new BundleInput(path, file);
    }

    private static string Publish(BundleRequest request, DeployTargetInfo info, string work, Action<string>? log)
    {
        string script = Path.Combine(request.RepositoryRoot, "firmware-tools/publish.sh");
        if (!File.Exists(script))
        {
            throw new DeployException(script, "publish", "is missing", "run edgenet-fw from the repository (or --repo DIR), or pass --binary with a published runtime");
        }

        string output = Path.Combine(work, "publish");
        log?.Invoke($"publishing the runtime for {info.Name} ({info.PublishTarget})");
        var (exit, stdout, stderr) = ChildProcess.Run("bash", [script, info.PublishTarget, output], "install bash");
        if (exit != 0)
        {
            throw new DeployException(script, info.PublishTarget, $"publish failed (exit {exit}): {stderr.Trim()} {stdout.Trim()}",
                info.Arch == "aarch64" ? "install the cross toolchain (scripts/setup.sh --arm64)" : "see the publish log above");
        }

        string binary = Path.Combine(output, "edgenet");
        return File.Exists(binary) ? binary : throw new DeployException(script, info.PublishTarget, "reported success but left no binary", "see the publish log");
    }
}
