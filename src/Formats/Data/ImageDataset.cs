namespace EdgeNet.Formats.Data;

/// <summary>
/// Images as floats in [0, 1], NHWC ([count, height, width, channels]), with integer labels;
/// what every loader returns (the chapter's MNISTLoader arrays).
/// </summary>
public sealed class ImageDataset
{
    public ImageDataset(string name, float[] images, int[] labels, int height, int width, int channels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Length != labels.Length * height * width * channels)
        {
            throw new DatasetException($"{name}: {images.Length} pixel values for {labels.Length} images of {height}x{width}x{channels}");
        }

        Name = name;
        Images = images;
        Labels = labels;
        Height = height;
        Width = width;
        Channels = channels;
        ClassNames = classNames;
    }

    public string Name { get; }

    public float[] Images { get; }

    public int[] Labels { get; }

    public int Count => Labels.Length;

    public int Height { get; }

    public int Width { get; }

    public int Channels { get; }

    public int SampleSize => Height * Width * Channels;

    public IReadOnlyList<string> ClassNames { get; }

    public ReadOnlySpan<float> Image(int i) => Images.AsSpan(i * SampleSize, SampleSize);

    /// <summary>The samples at <paramref name="indices"/>, in that order.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices, string? name = null)
    {
        var images = new float[indices.Count * SampleSize];
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Image(indices[i]).CopyTo(images.AsSpan(i * SampleSize));
            labels[i] = Labels[indices[i]];
        }

        return new ImageDataset(name ?? Name, images, labels, Height, Width, Channels, ClassNames);
    }

    public ImageDataset Take(int count) => Subset(Enumerable.Range(0, Math.Min(count, Count)).ToArray());

    public float[] LabelsAsFloat() => Labels.Select(l => (float)l).ToArray();

    public override string ToString() => $"{Name}: {Count} images {Height}x{Width}x{Channels}, {ClassNames.Count} classes";
}

/// <summary>A train/test pair.</summary>
public sealed record DatasetSplit(ImageDataset Train, ImageDataset Test);
