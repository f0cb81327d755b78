using System.Diagnostics;

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
    public void Stop() => Run("systemctl", "stop", Unit);

    /// <inheritdoc />
    public void Reload()
    {
        Run("systemctl", "daemon-reload");
        if (File.Exists("/usr/bin/udevadm") || File.Exists("/bin/udevadm"))
        {
            Run("udevadm", "control", "--reload");
        }
    }

    /// <inheritdoc />
    public void Start() => Run("systemctl", "start", Unit);

    private static void Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new DeployException(program, string.Join(' ', args), $"exit code {p.ExitCode}: {error.Trim()}", "see journalctl -u edgenet.service");
        }
    }
}
