using System.Text.Json;
using EdgeNet.Deploy.Manifest;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Deploy.Install;

/// <summary>What happened to a release, for <c>edgenet system status</c>.</summary>
public enum InstallOutcome
{
    /// <summary>Installed, self-tested and committed.</summary>
    Committed,

    /// <summary>Installed and switched to; waiting for <c>edgenet system commit</c> (installed with <c>--no-commit</c>).</summary>
    AwaitingCommit,

    /// <summary>Its self-test failed or it was not committed: the previous release runs again.</summary>
    RolledBack,

    /// <summary>An install that was cut short (power cut, kill) was undone at the next start.</summary>
    Recovered,
}

/// <summary>One entry of the install history.</summary>
public sealed class InstallEvent
{
    /// <summary>When (UTC).</summary>
    public DateTimeOffset At { get; set; }

    /// <summary>The release it is about.</summary>
    public string Version { get; set; } = "";

    /// <summary>What happened.</summary>
    public InstallOutcome Outcome { get; set; }

    /// <summary>Why (the self-test's failure, the user's reason).</summary>
    public string Detail { get; set; } = "";
}

/// <summary>
/// The committed truth of a board (<c>var/lib/edgenet/state.json</c>): which release is current, which is kept for
/// rollback, which is being installed. The links follow it, never lead it: an install records <see cref="Pending"/>
/// before it switches, so one cut short anywhere is found and undone. Written atomically and read back.
/// </summary>
public sealed class InstallState
{
    /// <summary>The state format.</summary>
    public int Format { get; set; } = 1;

    /// <summary>The committed release, or null on a fresh board.</summary>
    public string? Current { get; set; }

    /// <summary>The release kept for rollback, or null.</summary>
    public string? Previous { get; set; }

    /// <summary>The release being installed (set before the switch, cleared by the commit or the rollback).</summary>
    public string? Pending { get; set; }

    /// <summary>True once an install left <see cref="Pending"/> switched in on purpose, to be committed by the health check.</summary>
    public bool AwaitingCommit { get; set; }

    /// <summary>The last events, newest last (at most 20).</summary>
    public List<InstallEvent> History { get; set; } = [];

    /// <summary>Adds an event, keeping the last 20.</summary>
    public void Record(string version, InstallOutcome outcome, string detail)
    {
        History.Add(new InstallEvent { At = DateTimeOffset.UtcNow, Version = version, Outcome = outcome, Detail = detail });
        if (History.Count > 20)
        {
            History.RemoveRange(0, History.Count - 20);
        }
    }

    private const string Fix = "the links in opt/edgenet still show what runs; remove the file and run 'edgenet system status' to rebuild it from them";

    /// <summary>Reads the state of <paramref name="tree"/> (a fresh board has none: an empty state).</summary>
    public static InstallState Read(ReleaseTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (!File.Exists(tree.StateFile))
        {
            // A fresh board has neither; a board whose state was lost (or installed by hand) still has its links:
            // they say what runs, and nothing they name is ever pruned.
            return new InstallState { Current = ReleaseTree.LinkedVersion(tree.Current), Previous = ReleaseTree.LinkedVersion(tree.Previous) };
        }

        string source = tree.StateFile;
        using var doc = Json.Parse(File.ReadAllBytes(source), source, Fix);
        var o = doc.RootElement;
        var state = new InstallState
        {
            Format = (int)(Json.Number(o, "format", source, Fix) ?? 1),
            Current = Json.String(o, "current", source, Fix),
            Previous = Json.String(o, "previous", source, Fix),
            Pending = Json.String(o, "pending", source, Fix),
            AwaitingCommit = Json.Bool(o, "awaiting_commit", source, Fix) ?? false,
        };
        foreach (var e in Json.Array(o, "history", source, Fix))
        {
            string field = $"history[{state.History.Count}]";
            string outcome = Json.String(e, "outcome", source, Fix, field + ".outcome") ?? "";
            state.History.Add(new InstallEvent
            {
                At = Json.ParseTime(Json.String(e, "at", source, Fix, field + ".at")),
                Version = Json.String(e, "version", source, Fix, field + ".version") ?? "",
                Outcome = Enum.TryParse<InstallOutcome>(outcome, ignoreCase: true, out var oc) ? oc
                    : throw new DeployException(source, field + ".outcome", $"'{outcome}' is not an outcome", Fix),
                Detail = Json.String(e, "detail", source, Fix, field + ".detail") ?? "",
            });
        }

        return state;
    }

    private byte[] ToBytes()
    {
        return Json.Object(w =>
        {
            w.WriteNumber("format", Format);
            w.WriteString("current", Current);
            w.WriteString("previous", Previous);
            w.WriteString("pending", Pending);
            w.WriteBoolean("awaiting_commit", AwaitingCommit);
            w.WriteStartArray("history");
            foreach (var e in History)
            {
                w.WriteStartObject();
                w.WriteString("at", Json.Time(e.At));
                w.WriteString("version", e.Version);
                w.WriteString("outcome", e.Outcome.ToString());
                w.WriteString("detail", e.Detail);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    /// <summary>
    /// Writes the state atomically and reads it back: a write that did not reach the disk as written is an error here,
    /// not a success printed over a failure (rauc#1140).
    /// </summary>
    public void Write(ReleaseTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        byte[] bytes = ToBytes();
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(tree.StateFile)!);
            AtomicFile.Write(tree.StateFile, s => s.Write(bytes));
            if (!File.ReadAllBytes(tree.StateFile).AsSpan().SequenceEqual(bytes))
            {
                throw new IOException("the file read back differs from what was written");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeployException(tree.StateFile, "state", $"could not be written ({e.Message})", "check the disk (df, dmesg) and that var/lib/edgenet is writable", e);
        }
    }
}
