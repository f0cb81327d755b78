namespace EdgeNet.Trainer.Keras.Callbacks;

/// <summary>Per-epoch values of the loss and metrics (the History object Fit returns).</summary>
public sealed class History
{
    public Dictionary<string, List<double>> Values { get; } = new(StringComparer.Ordinal);

    public int Epochs => Values.Count == 0 ? 0 : Values.Values.Max(v => v.Count);

    public IReadOnlyList<double> this[string key] => Values.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"history has no '{key}'; it has {string.Join(", ", Values.Keys)}");

    internal void Add(IReadOnlyDictionary<string, double> logs)
    {
        foreach (var (k, v) in logs)
        {
            if (!Values.TryGetValue(k, out var list))
            {
                Values[k] = list = [];
            }

            list.Add(v);
        }
    }

    /// <summary>Saves the training curves as a PNG (ScottPlot): losses on the left axis, metrics on the right.</summary>
    public void SavePlot(string path, int width = 900, int height = 480)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (key, vals) in Values)
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
