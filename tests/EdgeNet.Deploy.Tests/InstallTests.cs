using System.Diagnostics;
using EdgeNet.Deploy.Install;
using EdgeNet.Deploy.Manifest;
using EdgeNet.Deploy.Service;
using EdgeNet.Runtime.Cli;

namespace EdgeNet.Deploy.Tests;

/// <summary>Install, upgrade and rollback in a folder tree standing in for a board; installs cut short; the committed state read back.</summary>
[TestClass]
public sealed class InstallTests
{
    private static string? Linked(string root, string link) => ReleaseTree.LinkedVersion(Path.Combine(root, "opt/edgenet", link));

    private static string[] Releases(string root) =>
        [.. Directory.GetDirectories(Path.Combine(root, "opt/edgenet/releases")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    private static void Install(string bundle, string root, params string[] more)
    {
        var (code, output, err) = DeployWorld.Edgenet(["system", "install", bundle, "--root", root, .. more]);
        Assert.AreEqual(0, code, err + output);
        StringAssert.Contains(output, "committed: ");
    }

    /// <summary>The release <c>current</c> points at runs: its own binary reads its own blob.</summary>
    private static void CurrentRuns(string root)
    {
        string current = Path.Combine(root, "opt/edgenet/current");
        var (code, output, err) = DeployWorld.Run(Path.Combine(current, "bin/edgenet"), current, null, "inspect", "--verify", "models/mlp.enb");
        Assert.AreEqual(0, code, output + err);
        StringAssert.Contains(output, "verified: all 4 tensor hashes match");
    }

    [TestMethod]
    public void Install_upgrade_and_rollback_switch_the_links_keep_two_releases_and_read_the_state_back()
    {
        using var w = DeployWorld.Create();
        string root = w.Tree("board", TestBoard.ThisPc);
        Install(w.Bundle(DeployTarget.X64, "1.0.0"), root);
        Assert.AreEqual("1.0.0", Linked(root, "current"));
        Assert.IsNull(Linked(root, "previous"));
        CurrentRuns(root);

        Install(w.Bundle(DeployTarget.X64, "1.1.0"), root);
        Install(w.Bundle(DeployTarget.X64, "1.2.0"), root);
        Assert.AreEqual("1.2.0", Linked(root, "current"));
        Assert.AreEqual("1.1.0", Linked(root, "previous"));
        CollectionAssert.AreEqual(new[] { "1.1.0", "1.2.0" }, Releases(root), "two releases kept; 1.0.0, in use by nothing, removed");
        var state = InstallState.Read(new ReleaseTree(root));
        Assert.AreEqual("1.2.0", state.Current);
        Assert.AreEqual("1.1.0", state.Previous);
        Assert.IsNull(state.Pending);
        StringAssert.Contains(File.ReadAllText(Path.Combine(root, "etc/systemd/system/edgenet.service")), "release 1.2.0", "the unit of the current release is in place");

        var (code, output, err) = DeployWorld.Edgenet("system", "rollback", "--root", root, "--reason", "the new policy wobbles");
        Assert.AreEqual(0, code, err);
        StringAssert.Contains(output, "rolled back: 1.1.0 is current, 1.2.0 kept");
        Assert.AreEqual("1.1.0", Linked(root, "current"));
        Assert.AreEqual("1.2.0", Linked(root, "previous"));
        StringAssert.Contains(File.ReadAllText(Path.Combine(root, "etc/systemd/system/edgenet.service")), "release 1.1.0");
        CurrentRuns(root);

        (code, output, _) = DeployWorld.Edgenet("system", "status", "--root", root);
        Assert.AreEqual(0, code);
        StringAssert.Contains(output, "current:  1.1.0");
        StringAssert.Contains(output, "the new policy wobbles");

        (code, _, err) = DeployWorld.Edgenet("system", "install", w.Bundle(DeployTarget.X64, "1.1.0"), "--root", root);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "version: 1.1.0 is the current release already");
    }

    [TestMethod]
    public void A_release_whose_self_test_fails_is_rolled_back_and_the_old_one_still_runs()
    {
        using var w = DeployWorld.Create();
        string root = w.Tree("board", TestBoard.ThisPc);
        Install(w.Bundle(DeployTarget.X64, "1.0.0"), root);

        // A blob damaged before it was bundled: the bundle's hashes match it, the blob's own tensor hashes do not.
        string bad = Path.Combine(w.Dir, "bad", "mlp.enb");
        Directory.CreateDirectory(Path.GetDirectoryName(bad)!);
        byte[] bytes = File.ReadAllBytes(w.Blob);
        bytes[^100] ^= 0x40;
        File.WriteAllBytes(bad, bytes);
        string bundle = w.Bundle(DeployTarget.X64, "1.1.0", models: [bad]);
        var (code, output, err) = DeployWorld.Edgenet("system", "install", bundle, "--root", root);
        Assert.AreEqual(2, code, output);
        StringAssert.Contains(output, "self-test FAIL edgenet inspect --verify models/mlp.enb");
        StringAssert.Contains(err, "self-test: self-test 'inspect --verify models/mlp.enb' failed: exit code 2");
        StringAssert.Contains(err, "1.0.0 runs again");
        Assert.AreEqual("1.0.0", Linked(root, "current"));
        CollectionAssert.AreEqual(new[] { "1.0.0" }, Releases(root), "the failed release is removed");
        CurrentRuns(root);
        var state = InstallState.Read(new ReleaseTree(root));
        Assert.AreEqual(InstallOutcome.RolledBack, state.History[^1].Outcome);
        Assert.AreEqual("1.1.0", state.History[^1].Version);

        // A self-test that hangs is killed at the limit.
        string hang = DeployWorld.Script(Path.Combine(w.Dir, "hang"), "sleep 30");
        var clock = Stopwatch.StartNew();
        (code, _, err) = DeployWorld.Edgenet("system", "install", w.Bundle(DeployTarget.X64, "1.2.0", binary: hang), "--root", root, "--selftest-timeout", "1");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "still running after the self-test's limit");
        Assert.IsLessThan(20, clock.Elapsed.TotalSeconds, "killed at the limit, not waited for");
        Assert.AreEqual("1.0.0", Linked(root, "current"));
    }

    [TestMethod]
    public void An_install_killed_after_any_step_leaves_the_old_release_current()
    {
        using var w = DeployWorld.Create();
        string root = w.Tree("board", TestBoard.ThisPc);
        Install(w.Bundle(DeployTarget.X64, "1.0.0"), root);
        string bundle = w.Bundle(DeployTarget.X64, "1.1.0");
        foreach (var step in new[] { InstallStep.Staged, InstallStep.Recorded, InstallStep.ServiceStopped, InstallStep.Switched, InstallStep.ServiceFilesInstalled, InstallStep.SelfTested })
        {
            var env = new Dictionary<string, string> { [SystemCommand.FaultVariable] = step.ToString() };
            var (code, output, _) = DeployWorld.EdgenetProcess(env, "system", "install", bundle, "--root", root);
            Assert.AreEqual(137, code, $"killed after {step} (SIGKILL): {output}");
            StringAssert.Contains(output, $"  {step}");

            var (ok, status, err) = DeployWorld.Edgenet("system", "status", "--root", root);
            Assert.AreEqual(0, ok, err);
            StringAssert.Contains(status, "current:  1.0.0", $"after a kill at {step}");
            Assert.AreEqual("1.0.0", Linked(root, "current"), step.ToString());
            CollectionAssert.AreEqual(new[] { "1.0.0" }, Releases(root), $"after {step}: nothing half-installed is left");
            Assert.IsFalse(Directory.EnumerateFileSystemEntries(Path.Combine(root, "opt/edgenet")).Any(p => p.EndsWith(".new", StringComparison.Ordinal)), step.ToString());
            StringAssert.Contains(File.ReadAllText(Path.Combine(root, "etc/systemd/system/edgenet.service")), "release 1.0.0", $"{step}: the old unit is back");
            CurrentRuns(root);
        }

        // Killed right after the commit: the commit stands.
        var env2 = new Dictionary<string, string> { [SystemCommand.FaultVariable] = nameof(InstallStep.Committed) };
        Assert.AreEqual(137, DeployWorld.EdgenetProcess(env2, "system", "install", bundle, "--root", root).Code);
        var (_, after, _) = DeployWorld.Edgenet("system", "status", "--root", root);
        StringAssert.Contains(after, "current:  1.1.0");
        StringAssert.Contains(after, "previous: 1.0.0");
        CurrentRuns(root);
    }

    [TestMethod]
    public void No_commit_waits_for_commit_or_rollback_and_a_failing_service_rolls_back_once()
    {
        using var w = DeployWorld.Create();
        string root = w.Tree("board", TestBoard.ThisPc);
        Install(w.Bundle(DeployTarget.X64, "1.0.0"), root);
        var (code, output, err) = DeployWorld.Edgenet("system", "install", w.Bundle(DeployTarget.X64, "1.1.0"), "--root", root, "--no-commit");
        Assert.AreEqual(0, code, err);
        StringAssert.Contains(output, "awaiting commit");
        (_, output, _) = DeployWorld.Edgenet("system", "status", "--root", root);
        StringAssert.Contains(output, "current:  1.0.0 — 1.1.0 switched in, awaiting commit", "a release switched in on purpose is not undone as a cut-short install");
        Assert.AreEqual("1.1.0", Linked(root, "current"));
        (code, output, _) = DeployWorld.Edgenet("system", "commit", "--root", root);
        Assert.AreEqual(0, code);
        StringAssert.Contains(output, "committed: 1.1.0 is current, 1.0.0 kept for rollback");
        Assert.AreEqual("1.1.0", InstallState.Read(new ReleaseTree(root)).Current, "read back from the disk");

        (code, _, err) = DeployWorld.Edgenet("system", "install", w.Bundle(DeployTarget.X64, "1.2.0"), "--root", root, "--no-commit");
        Assert.AreEqual(0, code, err);
        (code, output, _) = DeployWorld.Edgenet("system", "rollback", "--root", root, "--after-failure", "--reason", "edgenet.service failed");
        Assert.AreEqual(0, code);
        StringAssert.Contains(output, "rolled back: 1.1.0 is current, 1.0.0 kept");
        CollectionAssert.AreEqual(new[] { "1.0.0", "1.1.0" }, Releases(root));

        // The old release fails too: the rollback unit gives up instead of swapping back and forth.
        (code, _, err) = DeployWorld.Edgenet("system", "rollback", "--root", root, "--after-failure", "--reason", "edgenet.service failed");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "the service failed again after an automatic rollback to 1.1.0");
        Assert.AreEqual("1.1.0", Linked(root, "current"));
    }

    [TestMethod]
    public void The_installed_unit_files_pass_systemd_analyze_verify()
    {
        // scripts/setup.sh --arm64 installs Debian's systemd for this check: a machine without it fails here.
        Assert.IsTrue(File.Exists("/usr/bin/systemd-analyze") && Directory.Exists("/lib/systemd/system"), "systemd-analyze is missing: run scripts/setup.sh --arm64 (Debian's systemd)");

        using var w = DeployWorld.Create();
        string root = w.Tree("board", TestBoard.ThisPc);
        Install(w.Bundle(DeployTarget.X64, "1.0.0"), root);
        Install(w.Bundle(DeployTarget.X64, "1.1.0"), root); // previous exists: the rollback unit's condition and binary
        // systemd's own units (sysinit.target and the rest) into the tree, as on the board.
        foreach (var f in Directory.GetFiles("/lib/systemd/system"))
        {
            string to = Path.Combine(root, "usr/lib/systemd/system", Path.GetFileName(f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            if (new FileInfo(f).LinkTarget is null)
            {
                File.Copy(f, to, overwrite: true);
            }
        }

        foreach (var unit in new[] { "edgenet.service", "edgenet-rollback.service" })
        {
            var (code, output, err) = DeployWorld.Run("systemd-analyze", null, null, "verify", "--root=" + root, "/etc/systemd/system/" + unit);
            string said = output + err;
            Assert.AreEqual(0, code, said);
            Assert.AreEqual("", said.Trim(), $"{unit}: systemd-analyze has no remark (an unknown key or a bad value is only a warning to it)");
        }
    }

    [TestMethod]
    public void A_lost_state_file_is_rebuilt_from_the_links_and_nothing_they_name_is_removed()
    {
        using var w = DeployWorld.Create();
        string root = w.Tree("board", TestBoard.ThisPc);
        Install(w.Bundle(DeployTarget.X64, "1.0.0"), root);
        Install(w.Bundle(DeployTarget.X64, "1.1.0"), root);
        File.Delete(Path.Combine(root, "var/lib/edgenet/state.json"));
        var (code, output, err) = DeployWorld.Edgenet("system", "status", "--root", root);
        Assert.AreEqual(0, code, err);
        StringAssert.Contains(output, "current:  1.1.0");
        StringAssert.Contains(output, "previous: 1.0.0");
        CollectionAssert.AreEqual(new[] { "1.0.0", "1.1.0" }, Releases(root));
        CurrentRuns(root);
    }

    [TestMethod]
    public void A_rollback_after_an_install_cut_short_goes_back_one_release_not_two()
    {
        using var w = DeployWorld.Create();
        string root = w.Tree("board", TestBoard.ThisPc);
        Install(w.Bundle(DeployTarget.X64, "1.0.0"), root);
        Install(w.Bundle(DeployTarget.X64, "1.1.0"), root);
        var env = new Dictionary<string, string> { [SystemCommand.FaultVariable] = nameof(InstallStep.Switched) };
        Assert.AreEqual(137, DeployWorld.EdgenetProcess(env, "system", "install", w.Bundle(DeployTarget.X64, "1.2.0"), "--root", root).Code);
        Assert.AreEqual("1.2.0", Linked(root, "current"), "cut short after the switch: the untested release is linked");
        var (code, output, err) = DeployWorld.Edgenet("system", "rollback", "--root", root, "--after-failure", "--reason", "edgenet.service failed");
        Assert.AreEqual(0, code, err);
        StringAssert.Contains(output, "rolled back: 1.1.0 is current, 1.0.0 kept", "undoing the cut-short install is the rollback");
        Assert.AreEqual("1.1.0", Linked(root, "current"));
    }

    private sealed class FailingService(string failOn) : EdgeNet.Deploy.Service.IServiceControl
    {
        public string Description => "a service manager that fails";

        public void Stop()
        {
            if (failOn == "stop")
            {
                throw new DeployException("systemctl", "stop edgenet.service", "exit code 1: Job for edgenet.service canceled", "see journalctl -u edgenet.service");
            }
        }

        public void Reload()
        {
            if (failOn == "reload")
            {
                throw new IOException("daemon-reload: Transport endpoint is not connected");
            }
        }

        public void Start()
        {
        }
    }

    [TestMethod]
    public void A_failure_between_the_pending_record_and_the_self_test_puts_the_old_release_back()
    {
        using var w = DeployWorld.Create();
        string root = w.Tree("board", TestBoard.ThisPc);
        Install(w.Bundle(DeployTarget.X64, "1.0.0"), root);
        string bundle = w.Bundle(DeployTarget.X64, "1.1.0");
        using var keyring = Keyring.Load(Path.Combine(root, "etc/edgenet/keyring.pem"));
        foreach (var (failOn, after) in new[] { ("stop", "Recorded"), ("reload", "Switched") })
        {
            var installer = new Installer(new ReleaseTree(root), new InstallOptions { Keyring = keyring, Service = new FailingService(failOn) });
            var e = Assert.ThrowsExactly<DeployException>(() => installer.Install(bundle));
            StringAssert.Contains(e.Message, $"install: the install failed after {after}: ");
            StringAssert.Contains(e.Message, "1.0.0 is current again");
            Assert.AreEqual("1.0.0", Linked(root, "current"), failOn);
            Assert.AreEqual("1.0.0", InstallState.Read(new ReleaseTree(root)).Current);
            Assert.IsNull(InstallState.Read(new ReleaseTree(root)).Pending);
            CollectionAssert.AreEqual(new[] { "1.0.0" }, Releases(root));
            CurrentRuns(root);
        }

        var (code, _, err) = DeployWorld.Edgenet("system", "install", bundle, "--root", root, "--no-commit");
        Assert.AreEqual(0, code, err);
        (code, _, err) = DeployWorld.Edgenet("system", "install", w.Bundle(DeployTarget.X64, "1.1.0"), "--root", root);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "1.1.0 is switched in and awaiting commit");
    }
}
