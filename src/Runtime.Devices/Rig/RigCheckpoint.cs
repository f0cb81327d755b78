using System.Globalization;
using System.Text;
using EdgeNet.Formats.Enb;
using EdgeNet.Rig.Config;

namespace EdgeNet.Runtime.Training.Rl;

/// <summary>
/// The board's learning on the rig, saved so a restart (or a power cut) resumes it: the online and the
/// kept-best weights as blobs named by episode, then <c>state.json</c> naming them, each written atomically
/// (temp file, fsync, rename). A cut at any moment leaves either the previous checkpoint or the new one;
/// older blobs are removed only after the new state is in place. The replay ring is not saved (it refills
/// from the rig after a resume).
/// </summary>
public sealed class RigCheckpoint
{
    /// <summary>The name of the state file in the checkpoint folder.</summary>
    public const string StateFile = "state.json";

    /// <summary>Episodes run on the rig so far.</summary>
    public long Episodes { get; set; }

    /// <summary>Control ticks run so far.</summary>
    public long Ticks { get; set; }

    /// <summary>The best greedy mean return judged so far (NaN before the first judgement).</summary>
    public double BestJudged { get; set; } = double.NaN;

    /// <summary>The episode at which the kept-best weights were judged.</summary>
    public long BestEpisode { get; set; }

    /// <summary>Gradient steps taken so far.</summary>
    public long GradientSteps { get; set; }

    /// <summary>The online weights' blob, relative to the checkpoint folder.</summary>
    public string Online { get; set; } = "";

    /// <summary>The kept-best weights' blob.</summary>
    public string Best { get; set; } = "";

    /// <summary>The blob learning started from.</summary>
    public string Model { get; set; } = "";

    /// <summary>Blobs the learner was loaded from (a resumed run): kept, as a session copies its base blob when it saves.</summary>
    public HashSet<string> InUse { get; } = [];

    private static readonly JsonField<RigCheckpoint>[] Fields =
    [
        JsonFields.Long<RigCheckpoint>("episodes", c => c.Episodes, (c, v) => c.Episodes = v),
        JsonFields.Long<RigCheckpoint>("ticks", c => c.Ticks, (c, v) => c.Ticks = v),
        JsonFields.Number<RigCheckpoint>("best_judged", c => c.BestJudged, (c, v) => c.BestJudged = v),
        JsonFields.Long<RigCheckpoint>("best_episode", c => c.BestEpisode, (c, v) => c.BestEpisode = v),
        JsonFields.Long<RigCheckpoint>("gradient_steps", c => c.GradientSteps, (c, v) => c.GradientSteps = v),
        JsonFields.Text<RigCheckpoint>("online", c => c.Online, (c, v) => c.Online = v ?? ""),
        JsonFields.Text<RigCheckpoint>("best", c => c.Best, (c, v) => c.Best = v ?? ""),
        JsonFields.Text<RigCheckpoint>("model", c => c.Model, (c, v) => c.Model = v ?? ""),
    ];

    /// <summary>Writes the learner's weights and this state into <paramref name="folder"/>.</summary>
    public void Save(string folder, DqnLearner learner, string provenance)
    {
        ArgumentNullException.ThrowIfNull(learner);
        Directory.CreateDirectory(folder);
        string tag = Episodes.ToString("D7", CultureInfo.InvariantCulture);
        Online = $"online-{tag}.enb";
        Best = $"best-{tag}.enb";
        learner.Save(Path.Combine(folder, Online), provenance);
        learner.SaveBest(Path.Combine(folder, Best), provenance + " (kept best)");
        byte[] json = Encoding.UTF8.GetBytes(JsonFields.Write(this, Fields));
        AtomicFile.Write(Path.Combine(folder, StateFile), s => s.Write(json));
        foreach (string old in Directory.EnumerateFiles(folder, "*.enb"))
        {
            string name = Path.GetFileName(old);
            if (name != Online && name != Best && !InUse.Contains(name) && (name.StartsWith("online-", StringComparison.Ordinal) || name.StartsWith("best-", StringComparison.Ordinal)))
            {
                File.Delete(old);
            }
        }
    }

    /// <summary>The checkpoint in <paramref name="folder"/>, or null when there is none; a damaged one is an error naming the file and the fix.</summary>
    public static RigCheckpoint? TryLoad(string folder)
    {
        string path = Path.Combine(folder, StateFile);
        if (!File.Exists(path))
        {
            return null;
        }

        var c = new RigCheckpoint();
        try
        {
            JsonFields.Read(File.ReadAllText(path), c, Fields, path);
        }
        catch (RigConfigException ex)
        {
            throw new InvalidDataException($"{path}: not a rig checkpoint ({ex.Message[(path.Length + 2)..]}); remove the folder to start afresh", ex);
        }

        if (c.Online.Length == 0 || c.Best.Length == 0)
        {
            throw new InvalidDataException($"{path}: the checkpoint names no weights; remove the folder to start afresh");
        }

        foreach (string blob in new[] { c.Online, c.Best })
        {
            if (!File.Exists(Path.Combine(folder, blob)))
            {
                throw new InvalidDataException($"{path}: names {blob}, which is missing; remove the folder to start afresh");
            }
        }

        return c;
    }
}
