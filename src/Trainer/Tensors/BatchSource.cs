namespace EdgeNet.Trainer.Tensors;

/// <summary>
/// Samples that a training or evaluation loop reads by index and that are made into batches on demand (what
/// a tf.data pipeline or a keras.utils.Sequence gives Keras' fit): arrays in memory, or images brought to a
/// model's input size and normalization per batch (the trainer's image batches), so a dataset need
/// not be held at the model's resolution.
/// </summary>
public interface IBatchSource
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Shape of one input sample (batch excluded).</summary>
    Shape SampleShape { get; }

    /// <summary>Shape of one target sample (batch excluded; [] for a sparse label).</summary>
    Shape TargetShape { get; }

    /// <summary>Writes the inputs [n, ...SampleShape] and targets [n, ...TargetShape] of the samples at <paramref name="indices"/>.</summary>
    void Fill(ReadOnlySpan<int> indices, Span<float> x, Span<float> y);
}

/// <summary>Inputs and targets held in memory as two <see cref="NDArray"/>s (what <c>Fit(x, y)</c> takes).</summary>
public sealed class ArrayBatches : IBatchSource
{
    private readonly NDArray _x;
    private readonly NDArray _y;

    /// <summary>Pairs <paramref name="x"/> with <paramref name="y"/>; both must have the same number of samples.</summary>
    public ArrayBatches(NDArray x, NDArray y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"x has {x.Count} samples but y has {y.Count}");
        }

        (_x, _y) = (x, y);
    }

    /// <inheritdoc/>
    public int Count => _x.Count;

    /// <inheritdoc/>
    public Shape SampleShape => _x.SampleShape;

    /// <inheritdoc/>
    public Shape TargetShape => _y.SampleShape;

    /// <inheritdoc/>
    public void Fill(ReadOnlySpan<int> indices, Span<float> x, Span<float> y)
    {
        int xs = _x.SampleSize, ys = _y.SampleSize;
        for (int i = 0; i < indices.Length; i++)
        {
            _x.Data.AsSpan(indices[i] * xs, xs).CopyTo(x[(i * xs)..]);
            _y.Data.AsSpan(indices[i] * ys, ys).CopyTo(y[(i * ys)..]);
        }
    }
}
