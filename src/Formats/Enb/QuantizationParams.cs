namespace EdgeNet.Formats.Enb;

/// <summary>How a tensor's values map to reals.</summary>
public enum QuantizationKind : byte
{
    /// <summary>Not quantized.</summary>
    None = 0,

    /// <summary>One scale and zero point for the whole tensor.</summary>
    PerTensor = 1,

    /// <summary>One scale and zero point per index of the axis.</summary>
    PerChannel = 2,

    /// <summary>Per-channel with every zero point 0 (TFLite's weight scheme); zero points are not stored.</summary>
    PerChannelSymmetric = 3,
}

/// <summary>
/// Affine quantization: real = scale × (q − zero_point). Per-tensor has one pair; per-channel has
/// one pair per index of <see cref="Axis"/> (TFLite int8: weights per output channel, zero point 0).
/// </summary>
public sealed class QuantizationParams : IEquatable<QuantizationParams>
{
    /// <summary>No quantization.</summary>
    public static readonly QuantizationParams None = new(QuantizationKind.None, -1, [], []);

    /// <summary>Parameters of <paramref name="kind"/> along <paramref name="axis"/> (-1 for per-tensor); one zero point per scale.</summary>
    public QuantizationParams(QuantizationKind kind, int axis, float[] scales, int[] zeroPoints)
    {
        ArgumentNullException.ThrowIfNull(scales);
        ArgumentNullException.ThrowIfNull(zeroPoints);
        if (scales.Length != zeroPoints.Length)
        {
            throw new ArgumentException($"{scales.Length} scales but {zeroPoints.Length} zero points");
        }

        Kind = kind;
        Axis = axis;
        _scales = scales;
        _zeroPoints = zeroPoints;
    }

    private readonly float[] _scales;
    private readonly int[] _zeroPoints;

    /// <summary>One scale and zero point for the whole tensor.</summary>
    public static QuantizationParams PerTensor(float scale, int zeroPoint) =>
        new(QuantizationKind.PerTensor, -1, [scale], [zeroPoint]);

    /// <summary>Per-channel parameters; without zero points, symmetric (all zero, not stored).</summary>
    public static QuantizationParams PerChannel(int axis, float[] scales, int[]? zeroPoints = null) =>
        zeroPoints is null
            ? new(QuantizationKind.PerChannelSymmetric, axis, scales, new int[scales.Length])
            : new(QuantizationKind.PerChannel, axis, scales, zeroPoints);

    /// <summary>The kind of quantization.</summary>
    public QuantizationKind Kind { get; }

    /// <summary>The channel axis, or -1 per-tensor.</summary>
    public int Axis { get; }

    /// <summary>The scales (one, or one per channel).</summary>
    public IReadOnlyList<float> Scales => _scales;

    /// <summary>The zero points (one, or one per channel).</summary>
    public IReadOnlyList<int> ZeroPoints => _zeroPoints;

    /// <summary>Returns the problem with these parameters for a tensor of <paramref name="type"/> and <paramref name="dims"/>, or null.</summary>
    internal string? Validate(ElementType type, IReadOnlyList<long> dims)
    {
        var traits = ElementTypeTraits.Of(type);
        switch (Kind)
        {
            case QuantizationKind.None:
                return Axis != -1 || Scales.Count != 0 ? "kind none must have axis -1 and no scales" : null;
            case QuantizationKind.PerTensor:
                if (Axis != -1 || Scales.Count != 1)
                {
                    return "per-tensor quantization needs axis -1 and exactly one scale";
                }

                break;
            case QuantizationKind.PerChannel:
            case QuantizationKind.PerChannelSymmetric:
                if (Kind == QuantizationKind.PerChannelSymmetric && _zeroPoints.AsSpan().ContainsAnyExcept(0))
                {
                    return "symmetric per-channel quantization has zero points of 0";
                }

                if (Axis < 0 || Axis >= dims.Count)
                {
                    return $"per-channel axis {Axis} is outside the tensor's rank {dims.Count}";
                }

                if (Scales.Count != dims[Axis])
                {
                    return $"per-channel quantization along axis {Axis} needs {dims[Axis]} scales, found {Scales.Count}";
                }

                break;
            default:
                return $"unknown quantization kind {(byte)Kind}";
        }

        if (!traits.IsQuantized)
        {
            return $"element type {traits.Name} cannot carry quantization parameters (only i8 and i32 can)";
        }

        for (int i = 0; i < Scales.Count; i++)
        {
            if (!float.IsFinite(Scales[i]) || Scales[i] <= 0)
            {
                return $"scale[{i}] = {Scales[i]} must be finite and > 0";
            }

            if (ZeroPoints[i] < traits.MinZeroPoint || ZeroPoints[i] > traits.MaxZeroPoint)
            {
                return $"zero_point[{i}] = {ZeroPoints[i]} is outside [{traits.MinZeroPoint}, {traits.MaxZeroPoint}] for {traits.Name}";
            }
        }

        return null;
    }

    /// <summary>True for the same kind, axis, scales and zero points.</summary>
    public bool Equals(QuantizationParams? other) =>
        other is not null && other.Kind == Kind && other.Axis == Axis &&
        _scales.AsSpan().SequenceEqual(other._scales) && _zeroPoints.AsSpan().SequenceEqual(other._zeroPoints);

    /// <summary>True for equal parameters.</summary>
    public override bool Equals(object? obj) => Equals(obj as QuantizationParams);

    /// <summary>A hash over kind, axis and values.</summary>
    public override int GetHashCode() => HashCode.Combine(Kind, Axis, Scales.Count);

    /// <summary>The kind and values as text.</summary>
    public override string ToString() => Kind switch
    {
        QuantizationKind.None => "-",
        QuantizationKind.PerTensor => $"s={Scales[0]:G4} zp={ZeroPoints[0]}",
        QuantizationKind.PerChannelSymmetric => $"symmetric axis {Axis} ({Scales.Count}) s={ScaleRange()}",
        _ => $"per-channel axis {Axis} ({Scales.Count}) s={ScaleRange()}",
    };

    private string ScaleRange()
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float s in _scales)
        {
            min = Math.Min(min, s);
            max = Math.Max(max, s);
        }

        return FormattableString.Invariant($"[{min:G3}..{max:G3}]");
    }
}
