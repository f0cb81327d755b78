using System.Globalization;
using System.Text;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Rl;

namespace EdgeNet.Trainer.Cli;

/// <summary>The DQN episode log as CSV: one row per training episode.</summary>
internal static class EpisodeLog
{
    public const string Header = "episode,env_steps,return,length,epsilon,mean_return_100,wall_s";

    public static void WriteCsv(string path, IReadOnlyList<EpisodeRecord> episodes)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder().AppendLine(Header);
        foreach (var e in episodes)
        {
            sb.AppendLine(string.Create(inv, $"{e.Episode},{e.EnvSteps},{e.Return},{e.Length},{e.Epsilon:F4},{e.MeanReturn100:F2},{e.WallSeconds:F3}"));
        }

        byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
        AtomicFile.Write(path, s => s.Write(bytes));
    }
}
