using System.Diagnostics;
using EdgeNet.Deploy.Building;
using EdgeNet.Deploy.Manifest;
using EdgeNet.Runtime.Cli;
using EdgeNet.Tests.Shared;

namespace EdgeNet.Deploy.Tests;

/// <summary>The boards the tests stand a folder tree in for.</summary>
internal enum TestBoard
{
    /// <summary>A Raspberry Pi 4 Model B (Cortex-A72: no asimddp).</summary>
    Pi4,

    /// <summary>A Raspberry Pi 5 Model B (Cortex-A76: asimddp).</summary>
    Pi5,

    /// <summary>This machine (x86-64 with AVX2 and FMA, no device tree).</summary>
    ThisPc,
}

/// <summary>
/// A signing key pair, a small model blob, the JIT-built runtime behind a one-line launcher (what <c>bin/edgenet</c>
/// is in the tests' bundles: the same code as the NativeAOT binary), folder trees standing in for boards, and the
/// <c>edgenet</c> command in-process or as a process of its own.
/// </summary>
internal sealed class DeployWorld : IDisposable
{
    private DeployWorld(string dir) => Dir = dir;

    public string Dir { get; }

    public string Key => Path.Combine(Dir, "keys/bundle-signing.key");

    public string PublicKey => Path.Combine(Dir, "keys/bundle-signing.pub");

    public string Blob => Path.Combine(Dir, "mlp.enb");

    public string Launcher => Path.Combine(Dir, "edgenet-jit");

    public static string EdgenetDll => Path.Combine(RepoPaths.Root, "src/EdgeRuntime/bin/Release/net10.0/edgenet.dll");

    public static DeployWorld Create()
    {
        var w = new DeployWorld(Directory.CreateTempSubdirectory("edgenet-deploy-").FullName);
        Directory.CreateDirectory(Path.Combine(w.Dir, "keys"));
        var (priv, pub) = ManifestSignature.CreateKeyPair();
        File.WriteAllText(w.Key, priv);
        File.WriteAllText(w.PublicKey, pub);
        File.Move(TestBlobs.WriteMlp(w.Dir), w.Blob, overwrite: true);
        Script(w.Launcher, $"exec dotnet \"{EdgenetDll}\" \"$@\"");
        return w;
    }

    /// <summary>An executable shell script (a stand-in binary).</summary>
    public static string Script(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        }

        return path;
    }

    /// <summary>A folder tree standing in for <paramref name="board"/>'s root, with the keyring installed.</summary>
    public string Tree(string name, TestBoard board, bool gpio = true, bool pwm = true)
    {
        string root = Path.Combine(Dir, name);
        Directory.CreateDirectory(Path.Combine(root, "proc"));
        switch (board)
        {
            case TestBoard.Pi4:
                DeviceTree(root, "raspberrypi,4-model-b\0brcm,bcm2711\0", "Raspberry Pi 4 Model B Rev 1.4\0");
                File.WriteAllText(Path.Combine(root, "proc/cpuinfo"), "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\nCPU part\t: 0xd08\n");
                break;
            case TestBoard.Pi5:
                DeviceTree(root, "raspberrypi,5-model-b\0brcm,bcm2712\0", "Raspberry Pi 5 Model B Rev 1.0\0");
                File.WriteAllText(Path.Combine(root, "proc/cpuinfo"), "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU part\t: 0xd0b\n");
                break;
            default:
                File.WriteAllText(Path.Combine(root, "proc/cpuinfo"), File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal)) + "\n");
                break;
        }

        if (gpio)
        {
            Directory.CreateDirectory(Path.Combine(root, "dev"));
            File.WriteAllText(Path.Combine(root, "dev/gpiochip0"), "");
        }

        if (pwm)
        {
            Directory.CreateDirectory(Path.Combine(root, "sys/class/pwm/pwmchip0"));
        }

        Directory.CreateDirectory(Path.Combine(root, "etc/edgenet"));
        File.Copy(PublicKey, Path.Combine(root, "etc/edgenet/keyring.pem"), overwrite: true);
        return root;
    }

    private static void DeviceTree(string root, string compatible, string model)
    {
        Directory.CreateDirectory(Path.Combine(root, "proc/device-tree"));
        File.WriteAllText(Path.Combine(root, "proc/device-tree/compatible"), compatible);
        File.WriteAllText(Path.Combine(root, "proc/device-tree/model"), model);
    }

    /// <summary>A bundle of the launcher (or <paramref name="binary"/>) and <paramref name="models"/> (default: the blob).</summary>
    public string Bundle(DeployTarget target, string version, string? binary = null, string[]? models = null, string[]? devices = null, string? key = null, string? service = "run models/mlp.enb --input /dev/null")
    {
        var built = BundleBuilder.Build(new BundleRequest
        {
            Target = target,
            Version = version,
            SigningKey = key ?? Key,
            OutputFolder = Path.Combine(Dir, "bundles"),
            Binary = binary ?? Launcher,
            Models = models ?? [Blob],
            Devices = devices ?? [],
            ServiceArguments = service,
        });
        return built.Path;
    }

    /// <summary>The <c>edgenet</c> command in this process.</summary>
    public static (int Code, string Out, string Err) Edgenet(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = EdgenetCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>The <c>edgenet</c> command as a process of its own (<paramref name="environment"/> added), as a board runs it.</summary>
    public static (int Code, string Out, string Err) EdgenetProcess(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Run("dotnet", null, environment, [EdgenetDll, .. args]);

    /// <summary>Runs <paramref name="program"/> to its end in <paramref name="workDir"/> and returns its exit code and what it printed.</summary>
    public static (int Code, string Out, string Err) Run(string program, string? workDir, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workDir ?? "" };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
