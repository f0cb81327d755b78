using System.Diagnostics;
using EdgeNet.Deploy.Board;
using EdgeNet.Deploy.Bundles;
using EdgeNet.Deploy.Manifest;

namespace EdgeNet.Deploy.Install;

/// <summary>
/// Installs bundles on a board the way RAUC and greenboot do: everything checked before anything live is touched
/// (signature, board, every file's hash), the new release unpacked beside the running one, the state marked pending,
/// the links switched by atomic renames, the new release's self-test run within a limit, and the state committed and
/// read back — or everything put back. Every command first undoes an install that was cut short (<see cref="Recover"/>).
/// Two releases are kept; one a link points at is never removed.
/// </summary>
public sealed partial class Installer(ReleaseTree tree, InstallOptions options)
{
    private const string AfterFailure = "after failure: ";

    /// <summary>The tree it installs into.</summary>
    public ReleaseTree Tree { get; } = tree;

    /// <summary>Checks <paramref name="bundle"/> as an install would — signature, board, every file's size and sha256 — writing nothing.</summary>
    public BundleManifest Verify(string bundle)
    {
        using var reader = OpenChecked(bundle);
        reader.ReadFiles(folder: null);
        return reader.Manifest;
    }

    /// <summary>Installs <paramref name="bundle"/>: verify, stage, record, stop, switch, self-test, commit — or roll back.</summary>
    public InstallReport Install(string bundle)
    {
        using var guard = Lock();
        var clock = Stopwatch.StartNew();
        var steps = new List<(InstallStep, TimeSpan)>();
        void Done(InstallStep step)
        {
            steps.Add((step, clock.Elapsed));
            options.AtStep?.Invoke(step);
        }

        var state = RecoverLocked();
        using var reader = OpenChecked(bundle);
        var manifest = reader.Manifest;
        string version = manifest.Version;
        if (version == state.Current)
        {
            throw new DeployException(bundle, "version", $"{version} is the current release already", "build the bundle with a new --version ('edgenet system status' shows what runs)");
        }

        if (version == state.Previous)
        {
            throw new DeployException(bundle, "version", $"{version} is the previous release, kept for rollback", "'edgenet system rollback' returns to it; or build with a new --version");
        }

        if (state.Pending is not null)
        {
            throw new DeployException(bundle, "version", $"{state.Pending} is switched in and awaiting commit", "'edgenet system commit' or 'edgenet system rollback' first");
        }

        Stage(reader);
        Done(InstallStep.Staged);

        state.Pending = version;
        state.AwaitingCommit = false;
        state.Write(Tree);
        Done(InstallStep.Recorded);

        IReadOnlyList<SelfTestResult> results;
        InstallStep step = InstallStep.Recorded;
        try
        {
            options.Service.Stop();
            Done(step = InstallStep.ServiceStopped);

            ReleaseTree.Point(Tree.Previous, state.Current);
            ReleaseTree.Point(Tree.Current, version);
            Done(step = InstallStep.Switched);

            InstallServiceFiles(version);
            Done(step = InstallStep.ServiceFilesInstalled);

            results = SelfTest.Run(Tree.Release(version), manifest, options.SelfTestLimit);
        }
        catch (Exception e) when (e is DeployException or IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Anything that fails between the pending record and the self-test's verdict puts the old release back.
            string why = $"the install failed after {step}: {e.Message}";
            var back = RollBackPending(state, InstallOutcome.RolledBack, why);
            throw new DeployException(bundle, "install", why, $"{back.Current ?? "nothing"} is current again; fix the cause and install anew", e);
        }

        var failed = results.Count > 0 && !results[^1].Passed ? results[^1] : null; // the self-test stops at its first failure
        if (failed is not null)
        {
            string why = $"self-test '{failed.Command}' failed: {failed.Detail}";
            var back = RollBackPending(state, InstallOutcome.RolledBack, why);
            return new InstallReport(version, InstallOutcome.RolledBack, why, results, back, steps);
        }

        Done(InstallStep.SelfTested);
        if (!options.Commit)
        {
            state.AwaitingCommit = true;
            state.Record(version, InstallOutcome.AwaitingCommit, "switched in; 'edgenet system commit' after the health check, 'edgenet system rollback' otherwise");
            state.Write(Tree);
            options.Service.Start();
            return new InstallReport(version, InstallOutcome.AwaitingCommit, "awaiting commit", results, state, steps);
        }

        var committed = CommitPending(state, "self-test passed");
        Done(InstallStep.Committed);
        options.Service.Start();
        return new InstallReport(version, InstallOutcome.Committed, $"{version} is current, {committed.Previous ?? "nothing"} kept for rollback", results, committed, steps);
    }

    /// <summary>Commits a release installed with <see cref="InstallOptions.Commit"/> false; with nothing pending, says what is committed.</summary>
    public InstallState Commit()
    {
        using var guard = Lock();
        var state = RecoverLocked();
        return state.Pending is null ? state : CommitPending(state, "committed after the health check");
    }

    /// <summary>
    /// Rolls back: a release awaiting commit is undone; otherwise <c>current</c> and <c>previous</c> swap (so a
    /// mistaken rollback can be rolled back again). Refused when there is nothing to go back to. With
    /// <paramref name="afterFailure"/> (the OnFailure= unit) it gives up instead of rolling back a second time within an hour.
    /// </summary>
    public InstallState Rollback(string reason, bool afterFailure = false)
    {
        using var guard = Lock();
        var found = InstallState.Read(Tree);
        var state = RecoverLocked();
        if (found.Pending is not null && !found.AwaitingCommit)
        {
            return state; // an install cut short was undone: that was the rollback (the old release runs again)
        }

        if (afterFailure)
        {
            var last = state.History.Count > 0 ? state.History[^1] : null;
            if (last is { Outcome: InstallOutcome.RolledBack } && last.Detail.StartsWith(AfterFailure, StringComparison.Ordinal) && DateTimeOffset.UtcNow - last.At < TimeSpan.FromHours(1))
            {
                throw new DeployException(Tree.StateFile, "rollback", $"the service failed again after an automatic rollback to {state.Current} at {last.At:u}: giving up (no rollback loop)",
                    "see journalctl -u edgenet.service; install a fixed release or roll back by hand");
            }

            reason = AfterFailure + reason;
        }

        if (state.Pending is not null)
        {
            return RollBackPending(state, InstallOutcome.RolledBack, reason);
        }

        if (state.Previous is null || state.Current is null)
        {
            throw new DeployException(Tree.StateFile, "previous", "there is no previous release to roll back to", "install a second release first ('edgenet system status' shows what is kept)");
        }

        options.Service.Stop();
        (state.Current, state.Previous) = (state.Previous, state.Current);
        state.Record(state.Current, InstallOutcome.RolledBack, reason);
        state.Write(Tree);
        ReleaseTree.Point(Tree.Previous, state.Previous);
        ReleaseTree.Point(Tree.Current, state.Current);
        InstallServiceFiles(state.Current);
        options.Service.Start();
        return InstallState.Read(Tree);
    }

    /// <summary>The state after undoing an install that was cut short (what <c>edgenet system status</c> shows).</summary>
    public InstallState Recover()
    {
        using var guard = Lock();
        return RecoverLocked();
    }

    private BundleReader OpenChecked(string bundle)
    {
        var reader = BundleReader.Open(bundle, options.Keyring ?? throw new ArgumentException("a keyring is needed to verify a bundle", nameof(bundle)));
        try
        {
            var problems = BoardCheck.Check(reader.Manifest, BoardFacts.Read(Tree.Root, options.AssumeGlibc));
            if (problems.Count > 0)
            {
                var first = problems[0];
                var rest = new List<string>();
                for (int i = 1; i < problems.Count; i++)
                {
                    rest.Add($"{problems[i].Field}: {problems[i].Problem}");
                }

                string more = rest.Count > 0 ? $" (and {string.Join("; ", rest)})" : "";
                throw new DeployException(bundle, first.Field, first.Problem + more, first.Fix);
            }

            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }
}
