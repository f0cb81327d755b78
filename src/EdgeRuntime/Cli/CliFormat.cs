namespace EdgeNet.Runtime.Cli;

/// <summary>Lists and means as the commands print them (loops: the board's binary carries no LINQ).</summary>
internal static class CliFormat
{
    /// <summary><paramref name="item"/>(0) … <paramref name="item"/>(count − 1) joined by <paramref name="separator"/>.</summary>
    public static string Join(string separator, int count, Func<int, string> item)
    {
        var parts = new string[count];
        for (int i = 0; i < count; i++)
        {
            parts[i] = item(i);
        }

        return string.Join(separator, parts);
    }

    /// <summary>The sum of <paramref name="values"/> in double.</summary>
    public static double Sum(IEnumerable<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }

        return sum;
    }

    /// <summary>The mean of <paramref name="values"/> summed in double; 0 when there are none.</summary>
    public static double Mean(IReadOnlyCollection<float> values) => values.Count == 0 ? 0 : Sum(values) / values.Count;

    /// <summary>Floats as round-trip text ("R"), space-separated: what --print-outputs prints.</summary>
    public static string Floats(IReadOnlyList<float> values) =>
        Join(" ", values.Count, i => values[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture));
}
