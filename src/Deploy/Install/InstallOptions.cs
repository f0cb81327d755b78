using EdgeNet.Deploy.Manifest;
using EdgeNet.Deploy.Service;

namespace EdgeNet.Deploy.Install;

/// <summary>The steps of an install, in order; each is a point where a power cut must leave a bootable board.</summary>
public enum InstallStep
{
    /// <summary>The files are unpacked, hashed and fsync'd in <c>releases/VERSION</c>; nothing live touched.</summary>
    Staged,

    /// <summary>The state names the release as pending (the marker a cut-short install is found by).</summary>
    Recorded,

    /// <summary>The running service has stopped (a rig: motor off, checkpoint written).</summary>
    ServiceStopped,

    /// <summary><c>previous</c> and <c>current</c> point at the old and the new release.</summary>
    Switched,

    /// <summary>The unit and udev files of the new release are in place.</summary>
    ServiceFilesInstalled,

    /// <summary>The new release's self-test has passed.</summary>
    SelfTested,

    /// <summary>The state names the new release as current and was read back.</summary>
    Committed,
}

/// <summary>How an install is done.</summary>
public sealed class InstallOptions
{
    /// <summary>The keys a bundle must be signed by (needed to verify and install; status, commit and rollback read no bundle).</summary>
    public Keyring? Keyring { get; init; }

    /// <summary>Stands in for the board's glibc version (checking a bundle for another board); null: the running one.</summary>
    public Version? AssumeGlibc { get; init; }

    /// <summary>The whole self-test's time limit.</summary>
    public TimeSpan SelfTestLimit { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Commit after the self-test (default); false leaves the release switched in and pending, for <c>edgenet system commit</c> after the service's own health check.</summary>
    public bool Commit { get; init; } = true;

    /// <summary>The service to stop before the switch and start after (default: none, a folder tree).</summary>
    public IServiceControl Service { get; init; } = new NoServiceControl();

    /// <summary>Called after each step (progress; tests cut an install short here).</summary>
    public Action<InstallStep>? AtStep { get; init; }
}

/// <summary>What an install did.</summary>
/// <param name="Version">The bundle's release.</param>
/// <param name="Outcome">Committed, awaiting commit, or rolled back.</param>
/// <param name="Detail">Why it was rolled back, or what runs now.</param>
/// <param name="SelfTest">The self-test's commands and results.</param>
/// <param name="State">The state afterwards, as read back.</param>
/// <param name="Steps">Each step and when it ended, from the start of the install.</param>
public sealed record InstallReport(string Version, InstallOutcome Outcome, string Detail, IReadOnlyList<SelfTestResult> SelfTest, InstallState State,
    IReadOnlyList<(InstallStep Step, TimeSpan At)> Steps);
