namespace EdgeNet.Trainer.Export;

/// <summary>The number format of an exported blob's weights and computation.</summary>
public enum QuantizationScheme
{
    /// <summary>32-bit float weights and computation.</summary>
    F32,

    /// <summary>16-bit float weights (half the size), widened to f32 when loaded; f32 computation.</summary>
    F16,

    /// <summary>TFLite-style int8: per-channel symmetric weights, per-tensor activations calibrated on samples, int32 accumulation.</summary>
    Int8,
}

/// <summary>How int8 activation ranges are taken from the calibration samples.</summary>
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
    /// <summary>The number format (f32 by default).</summary>
    public QuantizationScheme Scheme { get; init; } = QuantizationScheme.F32;

    /// <summary>Representative samples used to calibrate int8 activation ranges.</summary>
    public int CalibrationSamples { get; init; } = 500;

    /// <summary>How activation ranges are calibrated (min/max by default).</summary>
    public CalibrationMethod Calibration { get; init; } = CalibrationMethod.MinMax;

    /// <summary>With <see cref="CalibrationMethod.Percentile"/>: the upper percentile kept (the lower is 100 minus it).</summary>
    public double Percentile { get; init; } = 99.99;

    /// <summary>
    /// int8: the operator producing the model's output keeps f32 weights and computes in float. For
    /// value regressions such as a Q-network, whose outputs are large (≈ 100) while the differences
    /// that decide the action are small (hundredths to tenths), int8 weights or an int8 output there
    /// would reorder near-ties; the head is small (a 256×2 kernel is 2 KB).
    /// </summary>
    public bool FloatOutputLayer { get; init; }

    /// <summary>32-bit float.</summary>
    public static QuantizationOptions F32 { get; } = new();

    /// <summary>16-bit float weights.</summary>
    public static QuantizationOptions F16 { get; } = new() { Scheme = QuantizationScheme.F16 };

    /// <summary>Int8 with min/max calibration on 500 samples.</summary>
    public static QuantizationOptions Int8 { get; } = new() { Scheme = QuantizationScheme.Int8 };
}
