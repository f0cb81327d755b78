namespace EdgeNet.Deploy.Install;

/// <summary>
/// Where a board keeps its releases, under a root (<c>/</c> on the board; any folder for tests and images):
/// <c>opt/edgenet/releases/VERSION/</c>, the links <c>opt/edgenet/current</c> and <c>previous</c> (relative, so the
/// tree can be moved), <c>var/lib/edgenet/state.json</c>, the keyring <c>etc/edgenet/keyring.pem</c>, and the
/// service files under <c>etc/systemd/system</c> and <c>etc/udev/rules.d</c>.
/// </summary>
/// <param name="Root">The root folder.</param>
public sealed record ReleaseTree(string Root)
{
    /// <summary>The folder holding the releases and the links.</summary>
    public string Base => Path.Combine(Root, "opt/edgenet");

    /// <summary>The releases' folder.</summary>
    public string Releases => Path.Combine(Base, "releases");

    /// <summary>The link to the running release.</summary>
    public string Current => Path.Combine(Base, "current");

    /// <summary>The link to the release kept for rollback.</summary>
    public string Previous => Path.Combine(Base, "previous");

    /// <summary>The committed state.</summary>
    public string StateFile => Path.Combine(Root, "var/lib/edgenet/state.json");

    /// <summary>The keys the board trusts.</summary>
    public string Keyring => Path.Combine(Root, "etc/edgenet/keyring.pem");

    /// <summary>systemd's folder for local units.</summary>
    public string UnitFolder => Path.Combine(Root, "etc/systemd/system");

    /// <summary>udev's folder for local rules.</summary>
    public string UdevFolder => Path.Combine(Root, "etc/udev/rules.d");

    /// <summary>A release's folder.</summary>
    public string Release(string version) => Path.Combine(Releases, version);

    /// <summary>Where a release is unpacked before it is complete (never a release name: it starts with a dot).</summary>
    public string Staging(string version) => Path.Combine(Releases, ".staging-" + version);

    /// <summary>The version a link points at (its target's last segment), or null without the link.</summary>
    public static string? LinkedVersion(string link)
    {
        var target = new FileInfo(link).LinkTarget;
        return target is null ? null : Path.GetFileName(target.TrimEnd('/'));
    }

    /// <summary>Points <paramref name="link"/> at <paramref name="version"/> (or removes it for null) atomically.</summary>
    public static void Point(string link, string? version)
    {
        if (version is null)
        {
            if (new FileInfo(link).LinkTarget is not null)
            {
                File.Delete(link);
            }

            return;
        }

        Posix.SwitchLink(link, Path.Combine("releases", version));
    }
}
