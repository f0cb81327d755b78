using System.CommandLine;
using System.Globalization;

namespace EdgeNet.Trainer.Cli;

/// <summary>
/// <c>edgenet-train plot LOG.csv [--out PNG]</c>: draws an episode log on the host, so the board's binary
/// carries no plotting library. Reads the board's rig log (<c>edgenet rig train</c>: episode, kind, ticks,
/// return, mean_last_100, ...; runs of greedy rows are one evaluation) and the host's DQN log
/// (<c>edgenet-train dqn</c>: episode, env_steps, return, ..., mean_return_100).
/// </summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var log = new Argument<string>("log") { Description = "an episode log (CSV) from 'edgenet rig train' or 'edgenet-train dqn'" };
        var output = new Option<string?>("--out") { Description = "the PNG (default: the log's name with .png)" };
        var threshold = new Option<double>("--solved") { Description = "the dashed 'solved' line", DefaultValueFactory = _ => 475 };
        var cmd = new Command("plot", "Draw an episode log (CSV) as a returns curve (PNG).") { log, output, threshold };
        cmd.SetAction(p => Cli.Guard(() =>
        {
            string path = p.GetValue(log)!, png = p.GetValue(output) ?? Path.ChangeExtension(path, ".png");
            var curve = Read(path);
            ReturnsPlot.Save(png, curve, p.GetValue(threshold));
            Console.WriteLine($"wrote {png}: {curve.X.Length} episodes, {curve.EvalX.Length} greedy evaluations{(curve.EvalMeans.Length > 0 ? $" (best {curve.EvalMeans.Max().ToString("F1", CultureInfo.InvariantCulture)})" : "")}");
        }));
        return cmd;
    }

    /// <summary>Reads a log; errors name the file, the line and the column.</summary>
    internal static ReturnsCurve Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such episode log; 'edgenet rig train --log FILE' or 'edgenet-train dqn' writes one", path);
        }

        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0)
        {
            throw new InvalidDataException($"{path}: empty file; expected a header line such as 'episode,kind,ticks,return,mean_last_100,...'");
        }

        string[] header = lines[0].Split(',');
        int Column(params string[] names)
        {
            foreach (string n in names)
            {
                int i = Array.IndexOf(header, n);
                if (i >= 0)
                {
                    return i;
                }
            }

            throw new InvalidDataException($"{path}: the header has no column {string.Join(" or ", names.Select(n => $"'{n}'"))} (it has {lines[0]}); give a log from 'edgenet rig train' or 'edgenet-train dqn'");
        }

        int xCol = Column("ticks", "env_steps"), retCol = Column("return"), meanCol = Column("mean_last_100", "mean_return_100"), kindCol = Array.IndexOf(header, "kind");
        bool rig = header.Contains("ticks");
        var x = new List<double>();
        var ret = new List<double>();
        var mean = new List<double>();
        var evalX = new List<double>();
        var evalMean = new List<double>();
        double greedySum = 0, greedyX = 0;
        int greedyN = 0;
        void CloseEvaluation()
        {
            if (greedyN > 0)
            {
                evalX.Add(greedyX);
                evalMean.Add(greedySum / greedyN);
                (greedySum, greedyN) = (0, 0);
            }
        }

        for (int row = 1; row < lines.Length; row++)
        {
            if (lines[row].Length == 0)
            {
                continue;
            }

            string[] cells = SplitCsv(lines[row]);
            double Number(int col)
            {
                if (col >= cells.Length || !double.TryParse(cells[col], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                {
                    throw new InvalidDataException($"{path}: line {row + 1}, column '{header[col]}': '{(col < cells.Length ? cells[col] : "")}' is not a number");
                }

                return v;
            }

            if (kindCol >= 0 && kindCol < cells.Length && cells[kindCol] == "greedy")
            {
                greedySum += Number(retCol);
                greedyN++;
                greedyX = Number(xCol);
                continue;
            }

            CloseEvaluation();
            x.Add(Number(xCol));
            ret.Add(Number(retCol));
            mean.Add(Number(meanCol));
        }

        CloseEvaluation();
        return new ReturnsCurve([.. x], [.. ret], [.. mean], [.. evalX], [.. evalMean],
            rig ? "DQN learning on the rig (edgenet rig train)" : "DQN on CartPole-v1 (edgenet-train dqn)", rig ? "rig ticks (50 Hz)" : "env steps");
    }

    // Cells separated by commas; a quoted cell may hold commas.
    private static string[] SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString());
        return [.. cells];
    }
}
