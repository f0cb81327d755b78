using EdgeNet.Deploy.Bundles;
using EdgeNet.Formats.Enb;
using EdgeNet.Deploy.Manifest;

namespace EdgeNet.Deploy.Install;

/// <summary>The installer's steps: staging, service files, commit, rollback, recovery, pruning.</summary>
public sealed partial class Installer
{
    /// <summary>One <c>edgenet system</c> command at a time (an advisory lock on <c>var/lib/edgenet/lock</c>).</summary>
    private FileStream Lock()
    {
        string path = Path.Combine(Path.GetDirectoryName(Tree.StateFile)!, "lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120); // an install's self-test may hold it that long
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
            catch (IOException e)
            {
                throw new DeployException(path, "lock", $"another 'edgenet system' command has held it for two minutes ({e.Message})", "wait for it to finish (one install at a time)", e);
            }
        }
    }

    /// <summary>Unpacks into <c>releases/.staging-VERSION</c> (hashed, fsync'd), then renames it to <c>releases/VERSION</c>.</summary>
    private void Stage(BundleReader reader)
    {
        string version = reader.Manifest.Version;
        string staging = Tree.Staging(version);
        string release = Tree.Release(version);
        DeleteFolder(staging);
        Directory.CreateDirectory(staging);
        try
        {
            reader.ReadFiles(staging);
            AtomicFile.Write(Path.Combine(staging, BundleLayout.ManifestName), s => s.Write(reader.ManifestBytes));
            AtomicFile.Write(Path.Combine(staging, BundleLayout.SignatureName), s => s.Write(reader.Signature));
            foreach (var folder in Directory.GetDirectories(staging, "*", SearchOption.AllDirectories))
            {
                AtomicFile.SyncDirectory(folder);
            }

            DeleteFolder(release); // a leftover of an install undone earlier: not current, not previous (checked by the caller)
            Posix.Rename(staging, release);
            AtomicFile.SyncDirectory(Tree.Releases);
        }
        catch
        {
            DeleteFolder(staging);
            throw;
        }
    }

    /// <summary>Puts <paramref name="version"/>'s unit files and udev rules in place (atomically each) and reloads them.</summary>
    private void InstallServiceFiles(string version)
    {
        string release = Tree.Release(version);
        var files = new[]
        {
            (BundleLayout.ServiceUnit, Tree.UnitFolder),
            (BundleLayout.RollbackUnit, Tree.UnitFolder),
            (BundleLayout.UdevRules, Tree.UdevFolder),
        };
        bool any = false;
        foreach (var (path, folder) in files)
        {
            string source = Path.Combine(release, path);
            if (File.Exists(source))
            {
                byte[] bytes = File.ReadAllBytes(source);
                Directory.CreateDirectory(folder);
                AtomicFile.Write(Path.Combine(folder, Path.GetFileName(path)), s => s.Write(bytes));
                any = true;
            }
        }

        if (any)
        {
            options.Service.Reload();
        }
    }

    private InstallState CommitPending(InstallState state, string detail)
    {
        string version = state.Pending!;
        state.Previous = state.Current;
        state.Current = version;
        state.Pending = null;
        state.AwaitingCommit = false;
        state.Record(version, InstallOutcome.Committed, detail);
        state.Write(Tree);
        var back = InstallState.Read(Tree);
        if (back.Current != version || back.Pending is not null)
        {
            throw new DeployException(Tree.StateFile, "current", $"reads back as {back.Current ?? "nothing"} after committing {version}", "check the disk; the links still point at the new release, 'edgenet system rollback' returns to the old one");
        }

        Prune(back);
        return back;
    }

    /// <summary>Puts the links back to the committed state, reinstalls its service files, removes the pending release.</summary>
    private InstallState RollBackPending(InstallState state, InstallOutcome outcome, string detail)
    {
        string version = state.Pending!;
        detail += BestEffort(options.Service.Stop, "stopping the service");

        // The state leads, the links follow: once it says the old release is current, a cut anywhere below is
        // finished by the next Recover (which puts links that disagree back, with their unit files).
        state.Pending = null;
        state.AwaitingCommit = false;
        state.Record(version, outcome, detail);
        state.Write(Tree);
        ReleaseTree.Point(Tree.Previous, state.Previous);
        ReleaseTree.Point(Tree.Current, state.Current);
        if (state.Current is not null)
        {
            detail += BestEffort(() => InstallServiceFiles(state.Current), "putting its unit files back");
        }

        Prune(state);
        if (state.Current is not null)
        {
            detail += BestEffort(options.Service.Start, "starting the service");
        }

        if (state.History[^1].Detail != detail)
        {
            state.History[^1].Detail = detail; // what failed after the state was written, for 'edgenet system status'
            state.Write(Tree);
        }

        return InstallState.Read(Tree);
    }

    /// <summary>A service step of a rollback that must not stop the rollback: its failure is said, the rollback goes on.</summary>
    private static string BestEffort(Action step, string what)
    {
        try
        {
            step();
            return "";
        }
        catch (Exception e) when (e is DeployException or IOException or InvalidOperationException)
        {
            return $" ({what} failed: {e.Message})";
        }
    }

    /// <summary>
    /// Undoes an install cut short (pending and not switched in on purpose), puts links that disagree with the state
    /// back, removes staging leftovers and releases nothing points at.
    /// </summary>
    private InstallState RecoverLocked()
    {
        var state = InstallState.Read(Tree);
        if (state.Pending is not null && !state.AwaitingCommit)
        {
            return RollBackPending(state, InstallOutcome.Recovered, $"the install of {state.Pending} was cut short; {state.Current ?? "nothing"} is current again");
        }

        string? wantCurrent = state.AwaitingCommit ? state.Pending : state.Current;
        string? wantPrevious = state.AwaitingCommit ? state.Current : state.Previous;
        if (ReleaseTree.LinkedVersion(Tree.Current) != wantCurrent)
        {
            // No service control here: Recover runs before the service starts (the unit's ExecStartPre), and a
            // stop or start from there would cancel the start job it runs in.
            ReleaseTree.Point(Tree.Current, wantCurrent);
            if (wantCurrent is not null)
            {
                InstallServiceFiles(wantCurrent);
            }
        }

        if (ReleaseTree.LinkedVersion(Tree.Previous) != wantPrevious)
        {
            ReleaseTree.Point(Tree.Previous, wantPrevious);
        }

        Prune(state);
        return state;
    }

    /// <summary>Removes staging folders, stray <c>.new</c> links, and releases that neither the state nor a link names.</summary>
    private void Prune(InstallState state)
    {
        if (!Directory.Exists(Tree.Releases))
        {
            return;
        }

        var keep = new HashSet<string?>(StringComparer.Ordinal) { state.Current, state.Previous, state.Pending, ReleaseTree.LinkedVersion(Tree.Current), ReleaseTree.LinkedVersion(Tree.Previous) };
        foreach (var folder in Directory.GetDirectories(Tree.Releases))
        {
            if (!keep.Contains(Path.GetFileName(folder)))
            {
                DeleteFolder(folder);
            }
        }

        foreach (var stray in new[] { Tree.Current + ".new", Tree.Previous + ".new" })
        {
            if (new FileInfo(stray).LinkTarget is not null || File.Exists(stray))
            {
                File.Delete(stray);
            }
        }
    }

    private static void DeleteFolder(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
