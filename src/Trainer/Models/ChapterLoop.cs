using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Losses;
using EdgeNet.Trainer.Keras.Metrics;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Models;

/// <summary>
/// The chapter's training and evaluation loops: random batches drawn with replacement
/// (MNISTLoader.get_batch), Adam, sparse categorical cross-entropy, and test accuracy in batches.
/// </summary>
public static class ChapterLoop
{
    /// <summary>Trains on <paramref name="steps"/> random batches; calls <paramref name="onStep"/> with (step, loss).</summary>
    public static void TrainRandomBatches(Model model, ImageDataset train, int steps, int batchSize, float learningRate, int seed, Action<int, float>? onStep = null)
    {
        if (model.Optimizer is null)
        {
            model.Compile(new Adam(learningRate), new SparseCategoricalCrossentropy());
        }

        var rng = new Random(seed);
        var x = new NDArray(train.Images, train.Count, train.Height, train.Width, train.Channels);
        var y = new NDArray(train.LabelsAsFloat(), train.Count);
        var xStage = new float[batchSize * train.SampleSize];
        var yStage = new float[batchSize];
        var idx = new int[batchSize];
        for (int step = 0; step < steps; step++)
        {
            for (int i = 0; i < batchSize; i++)
            {
                idx[i] = rng.Next(train.Count);
            }

            using var scope = TensorScope.Begin();
            float loss = model.TrainOnBatch(x.Gather(idx, xStage), y.Gather(idx, yStage));
            onStep?.Invoke(step, loss);
        }
    }

    /// <summary>Sparse categorical accuracy over batches made on demand (images through a pipeline), in inference mode.</summary>
    public static double Accuracy(Model model, IBatchSource test, int batchSize = 50)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        var metric = new SparseCategoricalAccuracy();
        int xSize = test.SampleShape.Size;
        var x = new float[batchSize * xSize];
        var y = new float[batchSize];
        var idx = new int[batchSize];
        for (int start = 0; start < test.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, test.Count - start);
            for (int i = 0; i < n; i++)
            {
                idx[i] = start + i;
            }

            test.Fill(idx.AsSpan(0, n), x, y);
            using var scope = TensorScope.Begin();
            var xb = Tensor.FromArray(x.AsSpan(0, n * xSize), new Shape([n, .. test.SampleShape.Dims]));
            var yPred = GradientTape.NoRecord(() => model.Apply(xb));
            metric.UpdateState(Tensor.FromArray(y.AsSpan(0, n), new Shape(n)), yPred);
        }

        return metric.Result();
    }

    /// <summary>Sparse categorical accuracy on <paramref name="test"/>, in batches (the chapter's evaluation).</summary>
    public static double Accuracy(Model model, ImageDataset test, int batchSize = 50)
    {
        var metric = new SparseCategoricalAccuracy();
        var x = new NDArray(test.Images, test.Count, test.Height, test.Width, test.Channels);
        var y = new NDArray(test.LabelsAsFloat(), test.Count);
        for (int start = 0; start < test.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, test.Count - start);
            using var scope = TensorScope.Begin();
            var yPred = GradientTape.NoRecord(() => model.Apply(x.Rows(start, n)));
            metric.UpdateState(y.Rows(start, n), yPred);
        }

        return metric.Result();
    }
}
