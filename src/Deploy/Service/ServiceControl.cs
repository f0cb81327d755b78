namespace EdgeNet.Deploy.Service;

/// <summary>How the installer stops and starts the running service around a switch.</summary>
public interface IServiceControl
{
    /// <summary>What it controls, for the report.</summary>
    string Description { get; }

    /// <summary>Stops the service and waits until it has exited (a rig's loop turns the motor off and writes its checkpoint on SIGTERM).</summary>
    void Stop();

    /// <summary>Reloads unit files and udev rules after they changed.</summary>
    void Reload();

    /// <summary>Starts the service again (on the release <c>current</c> points at).</summary>
    void Start();
}

/// <summary>No service manager (an install into a folder tree, or a board without systemd): nothing to stop or start.</summary>
public sealed class NoServiceControl : IServiceControl
{
    /// <inheritdoc />
    public string Description => "no service manager (files only)";

    /// <inheritdoc />
    public void Stop()
    {
    }

    /// <inheritdoc />
    public void Reload()
    {
    }

    /// <inheritdoc />
    public void Start()
    {
    }
}

/// <summary>
/// systemd: <c>systemctl stop</c> (systemd sends SIGTERM and waits <c>TimeoutStopSec=</c>), <c>daemon-reload</c> and
/// <c>udevadm control --reload</c>, <c>systemctl start</c>. Only where systemd runs (<c>/run/systemd/system</c>) and the
/// install is into <c>/</c>.
/// </summary>
/// <param name="Unit">The unit's name.</param>
public sealed record SystemdServiceControl(string Unit = "edgenet.service") : IServiceControl
{
    /// <summary>True when systemd is the running service manager.</summary>
    public static bool IsRunning => Directory.Exists("/run/systemd/system");

    /// <inheritdoc />
    public string Description => $"systemd ({Unit})";

    /// <inheritdoc />
    public void Stop()
    {
        // A board's first install has no unit loaded yet ('systemctl stop' would exit 5): only an active service is stopped.
        if (Run(check: false, "systemctl", "is-active", "--quiet", Unit) == 0)
        {
            Run(check: true, "systemctl", "stop", Unit);
        }
    }

    /// <inheritdoc />
    public void Reload()
    {
        Run(check: true, "systemctl", "daemon-reload");
        if (File.Exists("/usr/bin/udevadm") || File.Exists("/bin/udevadm"))
        {
            Run(check: true, "udevadm", "control", "--reload");
        }
    }

    /// <inheritdoc />
    public void Start()
    {
        // After StartLimitBurst failures (what starts the rollback unit) systemd refuses a plain start for the rest of
        // StartLimitIntervalSec: clear the failed state first.
        Run(check: false, "systemctl", "reset-failed", Unit);
        Run(check: true, "systemctl", "start", Unit);
    }

    private static int Run(bool check, string program, params string[] args)
    {
        var (exit, _, error) = ChildProcess.Run(program, args, "install systemd, or install into a folder tree with --root");
        if (check && exit != 0)
        {
            throw new DeployException(program, string.Join(' ', args), $"exit code {exit}: {error.Trim()}", "see journalctl -u edgenet.service");
        }

        return exit;
    }
}
