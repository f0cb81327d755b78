using EdgeNet.Formats.Enb;

namespace EdgeNet.Runtime;

/// <summary>An activation value of the graph and where it lives in the arena.</summary>
internal sealed class ValueSlot
{
    internal ValueSlot(int index, ValueInfo info)
    {
        Index = index;
        Info = info;
        long elements = 1;
        for (int i = info.Dims[0] < 0 ? 1 : 0; i < info.Dims.Count; i++)
        {
            elements = Math.Min(elements * Math.Max(info.Dims[i], 0), (long)int.MaxValue + 1);
        }

        if (elements > int.MaxValue)
        {
            throw new RuntimeModelException($"value '{info.Name}' {info.ShapeText} holds more than {int.MaxValue} elements per sample: the blob is corrupt or not made for this runtime");
        }

        SampleElements = (int)elements;
        ElementSize = info.Type switch
        {
            ElementType.F32 => 4,
            ElementType.I8 => 1,
            _ => throw new RuntimeModelException($"value '{info.Name}' has element type {info.Type}; activations are f32 or i8"),
        };
        HasBatch = info.Dims[0] < 0;
    }

    public int Index { get; }

    public ValueInfo Info { get; }

    /// <summary>Elements per sample (all dims but a leading batch dimension).</summary>
    public int SampleElements { get; }

    public int ElementSize { get; }

    public bool HasBatch { get; }

    /// <summary>Offset in the arena (set by the planner).</summary>
    public long Offset { get; internal set; }

    /// <summary>The value this one aliases (reshape), or its own index.</summary>
    internal int Root { get; set; }

    public int Elements(int batch) => HasBatch ? batch * SampleElements : SampleElements;

    public long Bytes(int batch) => (long)Elements(batch) * ElementSize;

    /// <summary>Dimension <paramref name="i"/> of one sample (after the batch axis).</summary>
    public int SampleDim(int i) => Info.Dims[(HasBatch ? 1 : 0) + i];

    public int SampleRank => Info.Dims.Count - (HasBatch ? 1 : 0);

    public float Scale => Info.Quantization.Scales.Count > 0 ? Info.Quantization.Scales[0] : 1f;

    public int ZeroPoint => Info.Quantization.ZeroPoints.Count > 0 ? Info.Quantization.ZeroPoints[0] : 0;

    /// <summary>One slot per value of <paramref name="g"/>, each its own root until an aliasing operator joins them.</summary>
    public static ValueSlot[] ForGraph(GraphDef g)
    {
        var values = new ValueSlot[g.Values.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = new ValueSlot(i, g.Values[i]) { Root = i };
        }

        return values;
    }

    /// <summary>The size of the largest value sharing <paramref name="root"/>'s buffer at <paramref name="batch"/>, in bytes or elements.</summary>
    public static long LargestOfRoot(IReadOnlyList<ValueSlot> values, int root, int batch, bool inBytes)
    {
        long largest = 0;
        foreach (var v in values)
        {
            if (v.Root == root)
            {
                largest = Math.Max(largest, inBytes ? v.Bytes(batch) : v.Elements(batch));
            }
        }

        return largest;
    }
}
