namespace EdgeNet.Formats.Enb;

/// <summary>Element types of tensors and graph values. The id is the on-disk byte.</summary>
public enum ElementType : byte
{
    /// <summary>32-bit IEEE float.</summary>
    F32 = 0,

    /// <summary>16-bit IEEE float (weights only; widened to f32 at load).</summary>
    F16 = 1,

    /// <summary>8-bit signed integer with affine quantization parameters.</summary>
    I8 = 2,

    /// <summary>32-bit signed integer (int8 biases, scale = input scale × weight scale).</summary>
    I32 = 3,
}

/// <summary>
/// One row per element type (as ggml's type-traits table): a new type is one new entry here.
/// </summary>
public sealed record ElementTypeTraits(
    ElementType Type,
    string Name,
    int BlockSize,
    int BytesPerBlock,
    bool IsQuantized,
    long MinZeroPoint,
    long MaxZeroPoint)
{
    private static readonly ElementTypeTraits[] Table =
    [
        new(ElementType.F32, "f32", 1, 4, false, 0, 0),
        new(ElementType.F16, "f16", 1, 2, false, 0, 0),
        new(ElementType.I8, "i8", 1, 1, true, sbyte.MinValue, sbyte.MaxValue),
        new(ElementType.I32, "i32", 1, 4, true, 0, 0),
    ];

    /// <summary>True when <paramref name="id"/> names a known element type.</summary>
    public static bool IsKnown(byte id) => id < Table.Length;

    /// <summary>The traits of <paramref name="type"/>.</summary>
    public static ElementTypeTraits Of(ElementType type) =>
        IsKnown((byte)type) ? Table[(int)type] : throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type");

    /// <summary>Every element type's traits, by id.</summary>
    public static IReadOnlyList<ElementTypeTraits> All => Table;

    /// <summary>Bytes needed for <paramref name="elements"/> elements, or -1 when not a whole number of blocks or overflowing.</summary>
    public long ByteSize(long elements)
    {
        if (elements < 0 || elements % BlockSize != 0)
        {
            return -1;
        }

        long blocks = elements / BlockSize;
        return blocks > long.MaxValue / BytesPerBlock ? -1 : blocks * BytesPerBlock;
    }
}
