using EdgeNet.Trainer.Keras.Callbacks;

namespace EdgeNet.Trainer.Cli;

/// <summary>The training curves of a <see cref="History"/> as a PNG (ScottPlot, host only): losses on the left axis, metrics dashed on the right.</summary>
public static class HistoryPlot
{
    public static void Save(History history, string path, int width = 900, int height = 480)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (key, vals) in history.Values)
        {
            double[] xs = Enumerable.Range(1, vals.Count).Select(i => (double)i).ToArray();
            var line = plot.Add.Scatter(xs, vals.ToArray());
            line.LegendText = key;
            if (!key.EndsWith("loss", StringComparison.Ordinal))
            {
                line.Axes.YAxis = plot.Axes.Right;
                line.LinePattern = ScottPlot.LinePattern.Dashed;
            }
        }

        plot.Title("training history");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.Axes.Right.Label.Text = "metric";
        plot.ShowLegend();
        plot.SavePng(path, width, height);
    }
}
