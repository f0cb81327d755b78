using System.Globalization;

namespace EdgeNet.Deploy.Service;

/// <summary>The service's files a bundle carries: the systemd unit, the rollback unit, the udev rules (templates embedded here).</summary>
public static class ServiceFiles
{
    /// <summary>The service unit for a release: <paramref name="arguments"/> after <c>edgenet</c> (e.g. <c>rig run --config rig.json --model models/q.enb</c>), the watchdog timeout.</summary>
    public static string Unit(string target, string version, string arguments, TimeSpan watchdog)
    {
        if (arguments.Contains('\n', StringComparison.Ordinal) || arguments.Contains('%', StringComparison.Ordinal))
        {
            throw new DeployException("--service", "arguments", $"'{arguments}' has a newline or a '%' (systemd's specifier)", "give one command line without '%'");
        }

        return Template("edgenet.service")
            .Replace("@TARGET@", target, StringComparison.Ordinal)
            .Replace("@VERSION@", version, StringComparison.Ordinal)
            .Replace("@ARGUMENTS@", arguments, StringComparison.Ordinal)
            .Replace("@WATCHDOG@", watchdog.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>The unit that rolls back when the service gave up.</summary>
    public static string RollbackUnit() => Template("edgenet-rollback.service");

    /// <summary>The udev rules.</summary>
    public static string UdevRules() => Template("99-edgenet.rules");

    private static string Template(string name)
    {
        using var stream = typeof(ServiceFiles).Assembly.GetManifestResourceStream("EdgeNet.Deploy.Service." + name)
            ?? throw new InvalidOperationException($"EdgeNet.Deploy was built without its {name} template");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
