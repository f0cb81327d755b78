namespace EdgeNet.Formats.Data;

/// <summary>
/// Images as floats in [0, 1], NHWC ([count, height, width, channels]), with integer labels;
/// what every loader returns (the chapter's MNISTLoader arrays).
/// </summary>
public sealed class ImageDataset
{
    /// <summary>Wraps <paramref name="images"/> ([count, height, width, channels], values 0..1) and their <paramref name="labels"/>; the sizes must agree.</summary>
    /// <exception cref="DatasetException">The pixel count is not labels × height × width × channels.</exception>
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

    /// <summary>The dataset and split, e.g. <c>mnist-digits/train</c>.</summary>
    public string Name { get; }

    /// <summary>Every image's pixels, NHWC, values 0..1.</summary>
    public float[] Images { get; }

    /// <summary>The class index of each image.</summary>
    public int[] Labels { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Image height [pixels].</summary>
    public int Height { get; }

    /// <summary>Image width [pixels].</summary>
    public int Width { get; }

    /// <summary>Channels per pixel (1 for grey).</summary>
    public int Channels { get; }

    /// <summary>Values per image (height × width × channels).</summary>
    public int SampleSize => Height * Width * Channels;

    /// <summary>The name of each class, by index.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The pixels of image <paramref name="i"/> [height × width × channels].</summary>
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

    /// <summary>The first <paramref name="count"/> images (all of them when there are fewer).</summary>
    public ImageDataset Take(int count)
    {
        var first = new int[Math.Min(count, Count)];
        for (int i = 0; i < first.Length; i++)
        {
            first[i] = i;
        }

        return Subset(first);
    }

    /// <summary>The labels as floats (what a model's sparse targets take).</summary>
    public float[] LabelsAsFloat() => Array.ConvertAll(Labels, l => (float)l);

    /// <summary>The name, count, image shape and class count.</summary>
    public override string ToString() => $"{Name}: {Count} images {Height}x{Width}x{Channels}, {ClassNames.Count} classes";
}

/// <summary>A train/test pair.</summary>
public sealed record DatasetSplit(ImageDataset Train, ImageDataset Test);
