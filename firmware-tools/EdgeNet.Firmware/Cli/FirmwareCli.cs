using System.CommandLine;
using System.Globalization;
using EdgeNet.Deploy;
using EdgeNet.Deploy.Building;
using EdgeNet.Deploy.Manifest;
using EdgeNet.Rig.Config;
using Spectre.Console;

namespace EdgeNet.Firmware.Cli;

/// <summary><c>edgenet-fw keys|bundle</c>: parses and prints; the procedures are EdgeNet.Deploy's.</summary>
public static class FirmwareCli
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Runs the command line.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("EdgeNet firmware tools: signing keys and signed bundles that 'edgenet system install' puts on a board.");
        root.Subcommands.Add(Keys(stdout, stderr));
        root.Subcommands.Add(Bundle(stdout, stderr));
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    private static Command Keys(TextWriter o, TextWriter e)
    {
        var outDir = new Option<string>("--out") { Description = "folder for bundle-signing.key (private, mode 0600) and bundle-signing.pub (the board's keyring)", Required = true };
        var cmd = new Command("keys", "Make a bundle-signing key pair (ECDSA P-256). An existing key is never overwritten.") { outDir };
        cmd.SetAction(p => Guard(e, () =>
        {
            string dir = p.GetValue(outDir)!;
            string priv = Path.Combine(dir, "bundle-signing.key"), pub = Path.Combine(dir, "bundle-signing.pub");
            if (File.Exists(priv) || File.Exists(pub))
            {
                throw new DeployException(priv, "keys", "exists already", "keep it (bundles the boards trust are signed with it) or move it away first");
            }

            Directory.CreateDirectory(dir);
            var (privatePem, publicPem) = ManifestSignature.CreateKeyPair();
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // created 0600: never readable by others, not even for a moment
            }

            using (var f = new FileStream(priv, options))
            using (var w = new StreamWriter(f))
            {
                w.Write(privatePem);
            }

            File.WriteAllText(pub, publicPem + "\n");
            o.WriteLine($"wrote {priv} (keep it on the build host, mode 0600) and {pub}");
            o.WriteLine($"on each board: install -D -m 0644 bundle-signing.pub /etc/edgenet/keyring.pem");
        }));
        return cmd;
    }

    private static Command Bundle(TextWriter o, TextWriter e)
    {
        var target = new Option<string>("--target") { Description = "rpi4 | rpi5 | jetson-orin | x64", Required = true };
        var version = new Option<string>("--version") { Description = "the release's version (e.g. 1.2.0)", Required = true };
        var key = new Option<string>("--key") { Description = "the private key from 'edgenet-fw keys'", Required = true };
        var models = new Option<string[]>("--model") { Description = "a model blob to ship (repeatable)", AllowMultipleArgumentsPerToken = true };
        var rig = new Option<string?>("--rig") { Description = "the rig's rig.json (checked here; its GPIO chip and PWM become required devices)" };
        var simulated = new Option<bool>("--simulated-rig") { Description = "the self-test runs the rig in simulation (a PC demo, no GPIO)" };
        var service = new Option<string?>("--service") { Description = "what the service runs after 'edgenet', e.g. \"rig run --config rig.json --model models/q.enb\" (no service files without it)" };
        var watchdog = new Option<double>("--watchdog") { Description = "systemd's WatchdogSec= for the service [s]", DefaultValueFactory = _ => 5 };
        var binary = new Option<string?>("--binary") { Description = "a runtime already published for the target (default: publish it now)" };
        var devices = new Option<string[]>("--device") { Description = "a device node the board must have (repeatable; '*' in the name matches any)", AllowMultipleArgumentsPerToken = true };
        var outDir = new Option<string>("--out") { Description = "folder for the bundle", DefaultValueFactory = _ => "artifacts/bundles" };
        var repo = new Option<string>("--repo") { Description = "the repository (for publishing)", DefaultValueFactory = _ => "." };
        var cmd = new Command("bundle", "Build a signed bundle for a board: the NativeAOT runtime for its instruction set, blobs, rig.json, systemd unit, udev rules, manifest.")
        {
            target, version, key, models, rig, simulated, service, watchdog, binary, devices, outDir, repo,
        };
        cmd.SetAction(p => Guard(e, () =>
        {
            var t = DeployTargetInfo.Parse(p.GetValue(target)!);
            var needed = new List<string>(p.GetValue(devices) ?? []);
            string? rigPath = p.GetValue(rig);
            if (rigPath is not null)
            {
                var config = RigConfig.Load(rigPath); // refuses a bad rig.json here, not on the board
                if (!p.GetValue(simulated))
                {
                    needed.Add("/dev/gpiochip*");
                    // With a board's header pins the PWM chip is found by its controller on the board (its number moves
                    // between kernels): some PWM chip must exist; the self-test checks it is the right one.
                    needed.Add(config.Board == "none" ? $"/sys/class/pwm/pwmchip{config.Motor.PwmChip}" : "/sys/class/pwm/pwmchip*");
                }
            }

            var request = new BundleRequest
            {
                Target = t,
                Version = p.GetValue(version)!,
                SigningKey = p.GetValue(key)!,
                OutputFolder = p.GetValue(outDir)!,
                Binary = p.GetValue(binary),
                RepositoryRoot = p.GetValue(repo)!,
                Models = p.GetValue(models) ?? [],
                RigConfig = rigPath,
                SimulatedRig = p.GetValue(simulated),
                ServiceArguments = p.GetValue(service),
                Watchdog = TimeSpan.FromSeconds(p.GetValue(watchdog)),
                Devices = needed,
                Revision = Revision(p.GetValue(repo)!),
            };
            var built = BundleBuilder.Build(request, line => o.WriteLine(line));
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(o), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            var table = new Table().AddColumns("file", "bytes", "sha256");
            foreach (var f in built.Manifest.Files)
            {
                table.AddRow(Markup.Escape(f.Path), f.Size.ToString("N0", Inv), f.Sha256[..16] + "…");
            }

            console.Write(table);
            o.WriteLine($"bundle: {built.Path} ({built.Size.ToString("N0", Inv)} bytes) — edgenet {built.Manifest.Version} for {built.Manifest.Target} ({string.Join(", ", built.Manifest.Compatible.Count > 0 ? built.Manifest.Compatible : ["any x86-64-v3 machine"])}), needs {string.Join(", ", built.Manifest.CpuFeatures)}, glibc >= {built.Manifest.MinGlibc}");
            o.WriteLine($"time: publish {built.PublishTime.TotalSeconds.ToString("F1", Inv)} s, pack and sign {built.PackTime.TotalSeconds.ToString("F2", Inv)} s; self-test on install: {built.Manifest.SelfTest.Count} command(s)");
        }));
        return cmd;
    }

    private static string Revision(string repo)
    {
        try
        {
            string head = Path.Combine(repo, ".git/HEAD");
            if (!File.Exists(head))
            {
                return "";
            }

            string text = File.ReadAllText(head).Trim();
            if (!text.StartsWith("ref: ", StringComparison.Ordinal))
            {
                return text[..Math.Min(12, text.Length)];
            }

            string refFile = Path.Combine(repo, ".git", text[5..]);
            return File.Exists(refFile) ? File.ReadAllText(refFile).Trim()[..12] : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static int Guard(TextWriter e, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception ex) when (ex is DeployException or RigConfigException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            e.WriteLine($"edgenet-fw: {ex.Message}");
            return 2;
        }
    }
}
