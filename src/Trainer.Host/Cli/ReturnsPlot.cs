using EdgeNet.Trainer.Rl;

namespace EdgeNet.Trainer.Cli;

/// <summary>A returns curve: ε-greedy episodes (x: env steps or rig ticks), their running mean, greedy evaluations.</summary>
internal sealed record ReturnsCurve(double[] X, double[] Returns, double[] Means, double[] EvalX, double[] EvalMeans, string Title, string XLabel);

/// <summary>The DQN returns curve as a PNG (ScottPlot, host only): episode returns, their mean of 100, greedy evaluations.</summary>
internal static class ReturnsPlot
{
    public static void Save(string path, DqnResult result, float solveThreshold) => Save(path, new ReturnsCurve(
        result.Episodes.Select(e => (double)e.EnvSteps).ToArray(),
        result.Episodes.Select(e => (double)e.Return).ToArray(),
        result.Episodes.Select(e => e.MeanReturn100).ToArray(),
        result.Evaluations.Select(e => (double)e.EnvSteps).ToArray(),
        result.Evaluations.Select(e => e.MeanReturn).ToArray(),
        result.Solved ? $"DQN on CartPole-v1: solved at {result.SolvedAtStep} env steps" : "DQN on CartPole-v1",
        "env steps"), solveThreshold);

    public static void Save(string path, ReturnsCurve curve, double solveThreshold, int width = 900, int height = 480)
    {
        var plot = new ScottPlot.Plot();
        if (curve.X.Length > 0)
        {
            var raw = plot.Add.Scatter(curve.X, curve.Returns);
            raw.LegendText = "episode return (ε-greedy)";
            raw.MarkerSize = 0;
            raw.LineWidth = 1;
            raw.Color = raw.Color.WithAlpha(0.35);
            var mean = plot.Add.Scatter(curve.X, curve.Means);
            mean.LegendText = "mean of the last 100";
            mean.MarkerSize = 0;
            mean.LineWidth = 2;
        }

        if (curve.EvalX.Length > 0)
        {
            var evals = plot.Add.Scatter(curve.EvalX, curve.EvalMeans);
            evals.LegendText = "greedy evaluation";
            evals.LineWidth = 0;
            evals.MarkerSize = 8;
        }

        var line = plot.Add.HorizontalLine(solveThreshold);
        line.LinePattern = ScottPlot.LinePattern.Dashed;
        line.LegendText = $"solved ({solveThreshold})";
        plot.Title(curve.Title);
        plot.XLabel(curve.XLabel);
        plot.YLabel("return");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, width, height);
    }
}
