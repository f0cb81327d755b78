namespace EdgeNet.Formats.Enb;

/// <summary>One row of the tensor table: a weight tensor stored in the data section.</summary>
public sealed record TensorInfo(
    string Name,
    ElementType Type,
    IReadOnlyList<long> Dims,
    long Offset,
    long ByteSize,
    QuantizationParams Quantization,
    ulong Hash)
{
    /// <summary>Number of elements (product of dims; 1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Dims)
            {
                n *= d;
            }

            return n;
        }
    }

    /// <summary>The shape as text, e.g. <c>[784, 100]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Dims) + "]";
}
