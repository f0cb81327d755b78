namespace EdgeNet.Trainer.Tensors;

/// <summary>
/// A host-side array with a shape, the C# stand-in for the NumPy arrays Keras' Fit/Evaluate/Predict
/// take. Dimension 0 indexes samples. Integer labels are exact float values.
/// </summary>
public sealed class NDArray
{
    /// <summary>Wraps <paramref name="data"/> as an array of <paramref name="shape"/> (no copy).</summary>
    /// <exception cref="ArgumentException">The data's length is not the shape's size.</exception>
    public NDArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        Shape = new Shape(shape);
        if (Shape.Size != data.Length)
        {
            throw new ArgumentException($"{data.Length} values do not fill shape {Shape} ({Shape.Size})");
        }

        Data = data;
    }

    /// <summary>The values, row-major.</summary>
    public float[] Data { get; }

    /// <summary>The shape; dimension 0 indexes samples.</summary>
    public Shape Shape { get; }

    /// <summary>Number of samples (dimension 0).</summary>
    public int Count => Shape.Rank == 0 ? 1 : Shape[0];

    /// <summary>Values per sample.</summary>
    public int SampleSize => Count == 0 ? 0 : Data.Length / Count;

    /// <summary>The shape of one sample.</summary>
    public Shape SampleShape => new(Shape.AsSpan()[1..].ToArray());

    /// <summary>Copies the samples at <paramref name="indices"/> into a device tensor of shape [indices.Length, ...].</summary>
    public Tensor Gather(ReadOnlySpan<int> indices, float[] staging)
    {
        int s = SampleSize;
        for (int i = 0; i < indices.Length; i++)
        {
            Data.AsSpan(indices[i] * s, s).CopyTo(staging.AsSpan(i * s, s));
        }

        return Tensor.FromArray(staging.AsSpan(0, indices.Length * s), new Shape([indices.Length, .. SampleShape.AsSpan().ToArray()]));
    }

    /// <summary>Samples [start, start+count) uploaded as one device tensor (contiguous rows: no staging copy).</summary>
    public Tensor Rows(int start, int count) =>
        Tensor.FromArray(Data.AsSpan(start * SampleSize, count * SampleSize), new Shape([count, .. SampleShape.AsSpan().ToArray()]));

    /// <summary>Samples [start, start+count) as a new array.</summary>
    public NDArray Slice(int start, int count)
    {
        int s = SampleSize;
        return new NDArray(Data.AsSpan(start * s, count * s).ToArray(), [count, .. SampleShape.AsSpan().ToArray()]);
    }

    /// <summary>The whole array as a tensor on the current device.</summary>
    public Tensor ToTensor() => Tensor.FromArray(Data, Shape);

    /// <summary>The shape.</summary>
    public override string ToString() => $"NDArray{Shape}";
}
