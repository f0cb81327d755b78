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
}
