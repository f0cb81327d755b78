using EdgeNet.Formats.Data;

namespace EdgeNet.Runtime.Input;

/// <summary>
/// A dataset's images written into a model's input through its <see cref="ImagePipeline"/> (a digit model's
/// normalization, or MobileNetV2's resize, channels and scaling), with the buffers made once; and the accuracy
/// of an interpreter over a test set, the one loop <c>edgenet eval</c> and the fine-tune measure with.
/// </summary>
internal sealed class ImageFeed(ImagePipeline pipeline, ImageDataset data)
{
    private readonly float[] _pixels = new float[data.SampleSize];
    private readonly float[] _scratch = new float[pipeline.ScratchFloats(data.Height, data.Width)];

    public ImagePipeline Pipeline => pipeline;

    /// <summary>Image <paramref name="index"/> as one model input sample.</summary>
    public void Write(int index, Span<float> dst) => pipeline.Apply(data, index, dst, _pixels, _scratch);

    /// <summary>Images [start, start + n) as <paramref name="n"/> consecutive samples of <paramref name="input"/>.</summary>
    public void Write(int start, int n, Span<float> input)
    {
        for (int i = 0; i < n; i++)
        {
            Write(start + i, input.Slice(i * pipeline.SampleSize, pipeline.SampleSize));
        }
    }

    /// <summary>Correct predictions of <paramref name="it"/> over <paramref name="test"/> in batches (fed as the blob says), and the first batch's outputs.</summary>
    public static (int Correct, float[]? FirstBatch) Accuracy(Interpreter it, ImageDataset test, int batch)
    {
        var feed = new ImageFeed(ModelInfo.Pipeline(it.Blob), test);
        int correct = 0;
        float[]? firstBatch = null;
        for (int s = 0; s < test.Count; s += batch)
        {
            int n = Math.Min(batch, test.Count - s);
            feed.Write(s, n, it.Input(n));
            it.Invoke(n);
            var y = it.Output(n);
            firstBatch ??= y.ToArray();
            correct += Correct(y, n, test.Labels.AsSpan(s, n));
        }

        return (correct, firstBatch);
    }

    /// <summary>How many of <paramref name="n"/> output rows (y: [n, classes]) have their largest value at the label.</summary>
    public static int Correct(ReadOnlySpan<float> y, int n, ReadOnlySpan<int> labels)
    {
        int classes = y.Length / n, correct = 0;
        for (int i = 0; i < n; i++)
        {
            correct += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(y.Slice(i * classes, classes)) == labels[i] ? 1 : 0;
        }

        return correct;
    }
}
