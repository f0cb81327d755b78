namespace EdgeNet.Formats.Enb;

/// <summary>Copies of a shape as an array (the records hold shapes as read-only lists).</summary>
internal static class Shapes
{
    /// <summary>The dims as a new array.</summary>
    public static long[] Copy(IReadOnlyList<long> dims)
    {
        var copy = new long[dims.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = dims[i];
        }

        return copy;
    }

    /// <summary>The dims as a new array.</summary>
    public static int[] Copy(IReadOnlyList<int> dims)
    {
        var copy = new int[dims.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = dims[i];
        }

        return copy;
    }
}
