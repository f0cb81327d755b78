namespace EdgeNet.Runtime.Training;

/// <summary>Parses what learns: <c>all</c>, <c>last:K</c>, or layer names separated by commas.</summary>
internal static class LayerSelection
{
    /// <summary>The names of the layers that learn, from <paramref name="spec"/> over the weighted <paramref name="layers"/> in graph order.</summary>
    public static HashSet<string> Parse(string spec, IReadOnlyList<string> layers, string file)
    {
        string s = spec.Trim();
        if (s.Length == 0 || s == "all")
        {
            return [.. layers];
        }

        if (s == "none")
        {
            return [];
        }

        if (s.StartsWith("last:", StringComparison.Ordinal))
        {
            if (!int.TryParse(s.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int k) || k < 1 || k > layers.Count)
            {
                throw new ArgumentException($"--layers '{spec}': {file} has {layers.Count} layers with weights ({string.Join(", ", layers)}); give last:K with K in 1..{layers.Count}");
            }

            var last = new HashSet<string>(StringComparer.Ordinal);
            for (int i = layers.Count - k; i < layers.Count; i++)
            {
                last.Add(layers[i]);
            }

            return last;
        }

        var chosen = new HashSet<string>(StringComparer.Ordinal);
        var known = new HashSet<string>(layers, StringComparer.Ordinal);
        foreach (string name in s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!known.Contains(name))
            {
                throw new ArgumentException($"--layers '{spec}': {file} has no layer '{name}'; its layers with weights are {string.Join(", ", layers)} (or give all, last:K, none)");
            }

            chosen.Add(name);
        }

        return chosen;
    }
}
