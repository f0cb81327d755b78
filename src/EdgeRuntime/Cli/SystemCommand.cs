using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeNet.Deploy;
using EdgeNet.Deploy.Install;
using EdgeNet.Deploy.Manifest;
using EdgeNet.Deploy.Service;

namespace EdgeNet.Runtime.Cli;

/// <summary>
/// <c>edgenet system verify|install|status|commit|rollback</c>: the board installs its own updates from signed
/// bundles (EdgeNet.Deploy's <see cref="Installer"/>); this parses and prints. <c>--root DIR</c> works on a folder tree
/// standing in for the board (device tree, cpuinfo, device nodes), as the tests and image builders do.
/// </summary>
internal static class SystemCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Test hook: the install kills its own process (SIGKILL, no clean-up) after the named <see cref="InstallStep"/>.</summary>
    internal const string FaultVariable = "EDGENET_SYSTEM_KILL_AFTER";

    private sealed class Common
    {
        public Option<string> Root { get; } = new("--root") { Description = "the board's root folder (default /; a folder tree for tests and images)", DefaultValueFactory = _ => "/" };

        public Option<string?> Keyring { get; } = new("--keyring") { Description = "trusted public keys (PEM; default ROOT/etc/edgenet/keyring.pem)" };

        public Option<string?> Glibc { get; } = new("--assume-glibc") { Description = "check against this glibc version instead of the running one (a bundle for another board)" };

        public void AddTo(Command c)
        {
            c.Options.Add(Root);
            c.Options.Add(Keyring);
            c.Options.Add(Glibc);
        }

        public ReleaseTree Tree(ParseResult p) => new(Path.GetFullPath(p.GetValue(Root)!));

        public Installer Installer(ParseResult p, Keyring keyring, TimeSpan selfTest, bool commit, Action<InstallStep>? atStep)
        {
            var tree = Tree(p);
            string? glibc = p.GetValue(Glibc);
            Version? assume = null;
            if (glibc is not null && !Version.TryParse(glibc, out assume))
            {
                throw new ArgumentException($"--assume-glibc: '{glibc}' is not a version (e.g. 2.31)");
            }

            return new Installer(tree, new InstallOptions { Keyring = keyring, AssumeGlibc = assume, SelfTestLimit = selfTest, Commit = commit, Service = Service(tree), AtStep = atStep });
        }

        /// <summary>systemd when installing into / on a system it runs; else nothing to stop or start (a folder tree).</summary>
        public static IServiceControl Service(ReleaseTree tree) =>
            tree.Root == "/" && SystemdServiceControl.IsRunning ? new SystemdServiceControl() : new NoServiceControl();

        public Keyring LoadKeyring(ParseResult p) => Deploy.Manifest.Keyring.Load(p.GetValue(Keyring) ?? Tree(p).Keyring);
    }

    public static Command Create(TextWriter o, TextWriter e)
    {
        var cmd = new Command("system", "Install signed bundles on this board: verify, install (switch, self-test, commit or roll back), status, commit, rollback.");
        cmd.Subcommands.Add(Verify(o, e));
        cmd.Subcommands.Add(Install(o, e));
        cmd.Subcommands.Add(Status(o, e));
        cmd.Subcommands.Add(CommitCommand(o, e));
        cmd.Subcommands.Add(RollbackCommand(o, e));
        return cmd;
    }

    private static Command Verify(TextWriter o, TextWriter e)
    {
        var common = new Common();
        var bundle = new Argument<string>("bundle") { Description = "the bundle (.tar.gz from edgenet-fw bundle)" };
        var cmd = new Command("verify", "Check a bundle as an install would (signature, board, every file's sha256) and change nothing.") { bundle };
        common.AddTo(cmd);
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            using var keyring = common.LoadKeyring(p);
            var manifest = common.Installer(p, keyring, TimeSpan.Zero, true, null).Verify(p.GetValue(bundle)!);
            o.WriteLine($"verified: {p.GetValue(bundle)} — edgenet {manifest.Version} for {manifest.Target} ({manifest.Arch}), {manifest.Files.Count} files, signed by a key in {keyring.Path}");
            o.WriteLine($"  board: {Describe(common.Tree(p))}");
            foreach (var f in manifest.Files)
            {
                o.WriteLine($"  {f.Path,-40} {f.Size,12:N0} B  sha256 {f.Sha256[..16]}…");
            }
        }));
        return cmd;
    }

    private static Command Install(TextWriter o, TextWriter e)
    {
        var common = new Common();
        var bundle = new Argument<string>("bundle") { Description = "the bundle (.tar.gz from edgenet-fw bundle)" };
        var timeout = new Option<double>("--selftest-timeout") { Description = "seconds the new release's self-test may take in all", DefaultValueFactory = _ => 120 };
        var noCommit = new Option<bool>("--no-commit") { Description = "switch in and leave it pending: 'edgenet system commit' after the service's health check, else 'rollback'" };
        var cmd = new Command("install", "Install a bundle beside the running release, switch to it, self-test it, and commit it or roll back.") { bundle, timeout, noCommit };
        common.AddTo(cmd);
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            string? kill = Environment.GetEnvironmentVariable(FaultVariable);
            Action<InstallStep> atStep = step =>
            {
                o.WriteLine($"  {step}");
                if (kill is not null && string.Equals(kill, step.ToString(), StringComparison.OrdinalIgnoreCase))
                {
                    o.Flush();
                    Process.GetCurrentProcess().Kill(); // as a power cut would: no finally block, no clean-up
                }
            };
            using var keyring = common.LoadKeyring(p);
            var installer = common.Installer(p, keyring, TimeSpan.FromSeconds(p.GetValue(timeout)), !p.GetValue(noCommit), atStep);
            o.WriteLine($"installing {p.GetValue(bundle)} into {installer.Tree.Root}");
            var report = installer.Install(p.GetValue(bundle)!);
            foreach (var t in report.SelfTest)
            {
                o.WriteLine($"  self-test {(t.Passed ? "ok  " : "FAIL")} edgenet {t.Command} ({t.Elapsed.TotalSeconds.ToString("F2", Inv)} s){(t.Passed ? "" : ": " + t.Detail)}");
            }

            var total = report.Steps.Count > 0 ? report.Steps[^1].At : TimeSpan.Zero;
            o.WriteLine($"{Word(report.Outcome)}: {report.Detail} ({total.TotalSeconds.ToString("F2", Inv)} s)");
            if (report.Outcome == InstallOutcome.RolledBack)
            {
                throw new DeployException(p.GetValue(bundle)!, "self-test", report.Detail, $"{report.State.Current ?? "nothing"} runs again; fix the release and install it anew");
            }
        }));
        return cmd;
    }

    private static Command Status(TextWriter o, TextWriter e)
    {
        var common = new Common();
        var cmd = new Command("status", "The current and previous releases, anything pending, and the install history (an install cut short is undone first).");
        common.AddTo(cmd);
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            var tree = common.Tree(p);
            var installer = new Installer(tree, new InstallOptions());
            var state = installer.Recover();
            o.WriteLine($"current:  {state.Current ?? "(none)"}{(state.AwaitingCommit ? $" — {state.Pending} switched in, awaiting commit" : "")}");
            o.WriteLine($"previous: {state.Previous ?? "(none)"}");
            o.WriteLine($"board:    {Describe(tree)}");
            if (state.History.Count > 0)
            {
                var table = new TextTable("when (UTC)", "release", "outcome", "detail");
                foreach (var ev in state.History)
                {
                    table.Add(ev.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", Inv), ev.Version, Word(ev.Outcome), ev.Detail);
                }

                table.WriteTo(o);
            }
        }));
        return cmd;
    }

    private static Command CommitCommand(TextWriter o, TextWriter e)
    {
        var common = new Common();
        var cmd = new Command("commit", "Commit the release installed with --no-commit (after its health check); the state is read back.");
        common.AddTo(cmd);
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            var installer = new Installer(common.Tree(p), new InstallOptions());
            var state = installer.Commit();
            o.WriteLine($"committed: {state.Current ?? "(none)"} is current, {state.Previous ?? "nothing"} kept for rollback");
        }));
        return cmd;
    }

    private static Command RollbackCommand(TextWriter o, TextWriter e)
    {
        var common = new Common();
        var reason = new Option<string>("--reason") { Description = "why (kept in the history)", DefaultValueFactory = _ => "rolled back by hand" };
        var afterFailure = new Option<bool>("--after-failure") { Description = "the service gave up (OnFailure=): roll back once, never twice within an hour" };
        var cmd = new Command("rollback", "Return to the previous release (a pending one is undone; otherwise current and previous swap).") { reason, afterFailure };
        common.AddTo(cmd);
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            var tree = common.Tree(p);
            var installer = new Installer(tree, new InstallOptions { Service = Common.Service(tree) });
            var state = installer.Rollback(p.GetValue(reason)!, p.GetValue(afterFailure));
            o.WriteLine($"rolled back: {state.Current ?? "(none)"} is current{(state.Previous is null ? "" : $", {state.Previous} kept")}");
        }));
        return cmd;
    }

    private static string Word(InstallOutcome outcome) => outcome switch
    {
        InstallOutcome.Committed => "committed",
        InstallOutcome.AwaitingCommit => "awaiting commit",
        InstallOutcome.RolledBack => "rolled back",
        InstallOutcome.Recovered => "recovered",
        _ => outcome.ToString(),
    };

    private static string Describe(ReleaseTree tree)
    {
        var facts = Deploy.Board.BoardFacts.Read(tree.Root);
        return $"{facts.Model ?? (facts.Compatible.Count > 0 ? facts.Compatible[0] : "no device tree")}, {facts.Arch}, glibc {facts.Glibc?.ToString() ?? "none"}";
    }
}
