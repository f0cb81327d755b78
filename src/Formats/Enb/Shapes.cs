namespace EdgeNet.Formats.Enb;

/// <summary>Shapes as arrays (the records hold them as read-only lists).</summary>
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

    /// <summary>A value's dims with the batch (−1) and any other dimension below 1 taken as 1: the shape its quantization is checked against.</summary>
    public static long[] BatchAsOne(IReadOnlyList<int> dims)
    {
        var shape = new long[dims.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = Math.Max(dims[i], 1);
        }

        return shape;
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
