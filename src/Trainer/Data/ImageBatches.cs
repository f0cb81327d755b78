using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Data;

/// <summary>
/// An image dataset fed to a model through its <see cref="ImagePipeline"/> batch by batch: each sample is cropped,
/// resized, converted to the model's channels and normalized when its batch is made (Fashion-MNIST's 28×28 grey
/// images become 96×96×3 MobileNetV2 inputs on the fly instead of 6.6 GB in memory). Targets are the sparse labels.
/// The same pipeline writes the blob's metadata, so the board feeds the exported model what training fed it.
/// </summary>
public sealed class ImageBatches : IBatchSource
{
    private readonly ImageDataset _data;
    private int[] _indices = [];   // the batch's indices, reused (a lambda cannot capture the span)

    /// <summary>Each thread's source pixels and pipeline scratch (grown on demand; nothing allocated per sample).</summary>
    [ThreadStatic]
    private static float[]? t_pixels, t_scratch;

    /// <summary>Feeds <paramref name="data"/> (pixels 0..1, any size, 1 or 3 channels) through <paramref name="pipeline"/>.</summary>
    public ImageBatches(ImageDataset data, ImagePipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(pipeline);
        if (data.Channels is not (1 or 3))
        {
            throw new ArgumentException($"{data.Name}: images with {data.Channels} channels; the pipeline takes grey or RGB");
        }

        _data = data;
        Pipeline = pipeline;
    }

    /// <summary>The transformation applied to every sample.</summary>
    public ImagePipeline Pipeline { get; }

    /// <summary>The images.</summary>
    public ImageDataset Dataset => _data;

    /// <inheritdoc/>
    public int Count => _data.Count;

    /// <inheritdoc/>
    public Shape SampleShape => new(Pipeline.Height, Pipeline.Width, Pipeline.Channels);

    /// <inheritdoc/>
    public Shape TargetShape => new([]);

    /// <inheritdoc/>
    public void Fill(ReadOnlySpan<int> indices, Span<float> x, Span<float> y)
    {
        int size = Pipeline.SampleSize;
        for (int i = 0; i < indices.Length; i++)
        {
            y[i] = _data.Labels[indices[i]];
        }

        if (_indices.Length < indices.Length)
        {
            _indices = new int[indices.Length];
        }

        indices.CopyTo(_indices);
        int[] idx = _indices;
        unsafe
        {
            fixed (float* xp = x)
            {
                nint basePtr = (nint)xp;
                Parallel.For(0, indices.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, i =>
                {
                    var pixels = t_pixels is { } p && p.Length >= _data.SampleSize ? p : t_pixels = new float[_data.SampleSize];
                    int need = Pipeline.ScratchFloats(_data.Height, _data.Width);
                    var scratch = t_scratch is { } q && q.Length >= need ? q : t_scratch = new float[need];
                    Pipeline.Apply(_data, idx[i], new Span<float>((float*)basePtr + ((long)i * size), size), pixels, scratch);
                });
            }
        }
    }

    /// <summary>The inputs of samples [start, start + count) as one array [count, H, W, C] (calibration, evaluation).</summary>
    public float[] Inputs(int start, int count)
    {
        var x = new float[count * Pipeline.SampleSize];
        var y = new float[count];
        var idx = new int[count];
        for (int i = 0; i < count; i++)
        {
            idx[i] = start + i;
        }

        Fill(idx, x, y);
        return x;
    }
}
