namespace EdgeNet.Formats.Enb;

/// <summary>How a tensor of one blob relates to the tensor of the same name in another.</summary>
public enum TensorChange
{
    /// <summary>Equal values.</summary>
    Same,

    /// <summary>Same shape, different values.</summary>
    Changed,

    /// <summary>Only in the second blob.</summary>
    Added,

    /// <summary>Only in the first blob.</summary>
    Removed,

    /// <summary>Different shapes: no value comparison.</summary>
    Reshaped,
}

/// <summary>One tensor's comparison; the value statistics are over the dequantized floats.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Change">What happened to it.</param>
/// <param name="TypeA">Its element type in the first blob (null when absent).</param>
/// <param name="TypeB">Its element type in the second blob (null when absent).</param>
/// <param name="MaxAbs">The largest |b − a|.</param>
/// <param name="MeanAbs">The mean |b − a|.</param>
/// <param name="RelativeMax">MaxAbs over the first blob's largest |a| (how big the change is against the weights).</param>
/// <param name="ChangedFraction">The share of elements that differ.</param>
public sealed record TensorDiff(string Name, TensorChange Change, ElementType? TypeA, ElementType? TypeB, double MaxAbs, double MeanAbs, double RelativeMax, double ChangedFraction);

/// <summary>One metadata key that differs: null on the side that lacks it.</summary>
/// <param name="Key">The key.</param>
/// <param name="A">Its value in the first blob.</param>
/// <param name="B">Its value in the second blob.</param>
public sealed record MetadataDiff(string Key, string? A, string? B);

/// <summary>
/// What differs between two blobs (<c>edgenet diff</c>): metadata keys, the graph's operators, and per tensor the
/// largest and mean absolute change of the values (f16 widened, int8 dequantized with each blob's own scales) — which
/// layers a fine-tune touched, and by how much.
/// </summary>
/// <param name="Metadata">Metadata keys added, removed or changed.</param>
/// <param name="Tensors">Every tensor of either blob, in the first blob's order, then the added ones.</param>
/// <param name="GraphDifference">Null when the graphs have the same operators and attributes, else what differs first.</param>
public sealed record BlobDiff(IReadOnlyList<MetadataDiff> Metadata, IReadOnlyList<TensorDiff> Tensors, string? GraphDifference)
{
    /// <summary>Compares <paramref name="a"/> with <paramref name="b"/>.</summary>
    public static BlobDiff Compare(BlobReader a, BlobReader b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var meta = new List<MetadataDiff>();
        foreach (var (key, value) in a.Metadata)
        {
            var other = b.GetMetadata(key);
            if (other is null || !other.Equals(value))
            {
                meta.Add(new MetadataDiff(key, value.ToString(), other?.ToString()));
            }
        }

        foreach (var (key, value) in b.Metadata)
        {
            if (a.GetMetadata(key) is null)
            {
                meta.Add(new MetadataDiff(key, null, value.ToString()));
            }
        }

        var tensors = new List<TensorDiff>();
        for (int i = 0; i < a.Tensors.Count; i++)
        {
            var ta = a.Tensors[i];
            int j = b.FindTensor(ta.Name);
            tensors.Add(j < 0 ? new TensorDiff(ta.Name, TensorChange.Removed, ta.Type, null, 0, 0, 0, 0) : CompareTensor(a, i, b, j));
        }

        for (int j = 0; j < b.Tensors.Count; j++)
        {
            if (a.FindTensor(b.Tensors[j].Name) < 0)
            {
                tensors.Add(new TensorDiff(b.Tensors[j].Name, TensorChange.Added, null, b.Tensors[j].Type, 0, 0, 0, 0));
            }
        }

        return new BlobDiff(meta, tensors, CompareGraphs(a.Graph, b.Graph));
    }

    private static TensorDiff CompareTensor(BlobReader a, int i, BlobReader b, int j)
    {
        var ta = a.Tensors[i];
        var tb = b.Tensors[j];
        if (ta.ShapeText != tb.ShapeText)
        {
            return new TensorDiff(ta.Name, TensorChange.Reshaped, ta.Type, tb.Type, 0, 0, 0, 0);
        }

        float[] va = a.ReadAsFloat(i), vb = b.ReadAsFloat(j);
        double max = 0, sum = 0, largest = 0;
        long changed = 0;
        for (int k = 0; k < va.Length; k++)
        {
            bool same = va[k] == vb[k] || (float.IsNaN(va[k]) && float.IsNaN(vb[k]));
            double d = same ? 0 : Math.Abs((double)vb[k] - va[k]);
            d = double.IsNaN(d) ? double.PositiveInfinity : d; // a value that became NaN is the largest change there is
            max = Math.Max(max, d);
            sum += d;
            largest = Math.Max(largest, Math.Abs(va[k]));
            changed += same ? 0 : 1;
        }

        return new TensorDiff(ta.Name, changed == 0 ? TensorChange.Same : TensorChange.Changed, ta.Type, tb.Type, max, va.Length == 0 ? 0 : sum / va.Length,
            largest > 0 ? max / largest : max, va.Length == 0 ? 0 : (double)changed / va.Length);
    }

    private static string? CompareGraphs(GraphDef? a, GraphDef? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null ? null : $"only the {(a is null ? "second" : "first")} blob has a graph";
        }

        if (a.Operators.Count != b.Operators.Count)
        {
            return $"{a.Operators.Count} operators vs {b.Operators.Count}";
        }

        for (int i = 0; i < a.Operators.Count; i++)
        {
            OperatorDef x = a.Operators[i], y = b.Operators[i];
            if (x.Opcode != y.Opcode)
            {
                return $"operator {i}: {x.Opcode} vs {y.Opcode}";
            }

            if (x.Attributes.Count != y.Attributes.Count)
            {
                return $"operator {i} ({x.Opcode}): {x.Attributes.Count} attributes vs {y.Attributes.Count}";
            }

            for (int k = 0; k < x.Attributes.Count; k++)
            {
                if (x.Attributes[k].Key != y.Attributes[k].Key || !x.Attributes[k].Value.Equals(y.Attributes[k].Value))
                {
                    return $"operator {i} ({x.Opcode}): {x.Attributes[k].Key}={x.Attributes[k].Value} vs {y.Attributes[k].Key}={y.Attributes[k].Value}";
                }
            }
        }

        return null;
    }
}
