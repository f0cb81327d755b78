using EdgeNet.Trainer.Rl;

namespace EdgeNet.Trainer.Cli;

/// <summary>The DQN returns curve as a PNG (ScottPlot, host only): episode returns, their mean of 100, greedy evaluations.</summary>
internal static class ReturnsPlot
{
    public static void Save(string path, DqnResult result, float solveThreshold, int width = 900, int height = 480)
    {
        var plot = new ScottPlot.Plot();
        if (result.Episodes.Count > 0)
        {
            double[] xs = result.Episodes.Select(e => (double)e.EnvSteps).ToArray();
            var raw = plot.Add.Scatter(xs, result.Episodes.Select(e => (double)e.Return).ToArray());
            raw.LegendText = "episode return (ε-greedy)";
            raw.MarkerSize = 0;
            raw.LineWidth = 1;
            raw.Color = raw.Color.WithAlpha(0.35);
            var mean = plot.Add.Scatter(xs, result.Episodes.Select(e => e.MeanReturn100).ToArray());
            mean.LegendText = "mean of the last 100";
            mean.MarkerSize = 0;
            mean.LineWidth = 2;
        }

        if (result.Evaluations.Count > 0)
        {
            var evals = plot.Add.Scatter(result.Evaluations.Select(e => (double)e.EnvSteps).ToArray(), result.Evaluations.Select(e => e.MeanReturn).ToArray());
            evals.LegendText = "greedy evaluation";
            evals.LineWidth = 0;
            evals.MarkerSize = 8;
        }

        var line = plot.Add.HorizontalLine(solveThreshold);
        line.LinePattern = ScottPlot.LinePattern.Dashed;
        line.LegendText = $"solved ({solveThreshold})";
        plot.Title(result.Solved ? $"DQN on CartPole-v1: solved at {result.SolvedAtStep} env steps" : "DQN on CartPole-v1");
        plot.XLabel("env steps");
        plot.YLabel("return");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, width, height);
    }
}
