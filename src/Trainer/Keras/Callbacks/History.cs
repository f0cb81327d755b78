namespace EdgeNet.Trainer.Keras.Callbacks;

/// <summary>Per-epoch values of the loss and metrics (the History object Fit returns).</summary>
public sealed class History
{
    /// <summary>Each logged quantity's value per epoch.</summary>
    public Dictionary<string, List<double>> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Epochs recorded.</summary>
    public int Epochs => Values.Count == 0 ? 0 : Values.Values.Max(v => v.Count);

    /// <summary>The per-epoch values of <paramref name="key"/> (e.g. <c>loss</c>, <c>val_sparse_categorical_accuracy</c>).</summary>
    /// <exception cref="KeyNotFoundException">Nothing was logged under that name; the message lists what was.</exception>
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
