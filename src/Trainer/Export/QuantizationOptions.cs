namespace EdgeNet.Trainer.Export;

public enum QuantizationScheme
{
    F32,
    F16,
    Int8,
}

public enum CalibrationMethod
{
    /// <summary>Activation ranges are the observed minimum and maximum.</summary>
    MinMax,

    /// <summary>Ranges are the 0.01th and 99.99th percentiles (robust to outliers).</summary>
    Percentile,
}

/// <summary>How <see cref="ModelExporter"/> writes a blob.</summary>
public sealed record QuantizationOptions
{
    public QuantizationScheme Scheme { get; init; } = QuantizationScheme.F32;

    /// <summary>Representative samples used to calibrate int8 activation ranges.</summary>
    public int CalibrationSamples { get; init; } = 500;

    public CalibrationMethod Calibration { get; init; } = CalibrationMethod.MinMax;

    public double Percentile { get; init; } = 99.99;

    /// <summary>
    /// int8: the operator producing the model's output keeps f32 weights and computes in float. For
    /// value regressions such as a Q-network, whose outputs are large (≈ 100) while the differences
    /// that decide the action are small (hundredths to tenths), int8 weights or an int8 output there
    /// would reorder near-ties; the head is small (a 256×2 kernel is 2 KB).
    /// </summary>
    public bool FloatOutputLayer { get; init; }

    public static QuantizationOptions F32 { get; } = new();

    public static QuantizationOptions F16 { get; } = new() { Scheme = QuantizationScheme.F16 };

    public static QuantizationOptions Int8 { get; } = new() { Scheme = QuantizationScheme.Int8 };
}
