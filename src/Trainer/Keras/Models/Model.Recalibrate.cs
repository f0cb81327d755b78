using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Models;

public partial class Model
{
    /// <summary>Every BatchNormalization layer of the model, sublayers included.</summary>
    public IReadOnlyList<BatchNormalization> BatchNormalizationLayers()
    {
        var found = new List<BatchNormalization>();
        void Walk(Layer l)
        {
            foreach (var s in l.Sublayers)
            {
                if (s is BatchNormalization bn && !found.Contains(bn))
                {
                    found.Add(bn);
                }

                Walk(s);
            }
        }

        Walk(this);
        return found;
    }

    /// <summary>
    /// Recomputes every BatchNormalization's moving statistics from <paramref name="batches"/> batches of
    /// <paramref name="x"/> (shuffled with <paramref name="seed"/>), as <c>torch.optim.swa_utils.update_bn</c>
    /// does: each batch runs forward in training mode and weighs the same, so the moving mean and variance
    /// become the plain average of the batches' statistics; the weights are untouched. Repairs the moving
    /// statistics that a momentum of 0.999 leaves far behind the weights after a short training (Keras'
    /// MobileNetV2 setting). Returns the number of layers recalibrated.
    /// </summary>
    public int RecalibrateBatchNormalization(NDArray x, int batches, int batchSize = 32, int seed = 0) =>
        RecalibrateBatchNormalization(new ArrayBatches(x, new NDArray(new float[x.Count], x.Count)), batches, batchSize, seed);

    /// <summary>Recalibrates the moving statistics from batches made on demand (images resized and normalized per batch).</summary>
    public int RecalibrateBatchNormalization(IBatchSource data, int batches, int batchSize = 32, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batches < 1 || batchSize < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(batches), $"recalibration needs at least 1 batch of at least 2 samples; got {batches} of {batchSize}");
        }

        var layers = BatchNormalizationLayers();
        if (layers.Count == 0)
        {
            return 0;
        }

        var order = Enumerable.Range(0, data.Count).ToArray();
        new Random(seed).Shuffle(order);
        int xSize = data.SampleShape.Size;
        var stage = new float[batchSize * xSize];
        var labels = new float[batchSize * Math.Max(1, data.TargetShape.Size)];
        foreach (var l in layers)
        {
            l.BeginRecalibration();
        }

        try
        {
            for (int b = 0; b < batches; b++)
            {
                int start = (b * batchSize) % Math.Max(1, data.Count - batchSize + 1), n = Math.Min(batchSize, data.Count - start);
                using var scope = TensorScope.Begin();
                data.Fill(order.AsSpan(start, n), stage, labels);
                var xb = Tensor.FromArray(stage.AsSpan(0, n * xSize), new Shape([n, .. data.SampleShape.Dims]));
                GradientTape.NoRecord(() => Apply(xb, training: true));
            }
        }
        finally
        {
            foreach (var l in layers)
            {
                l.EndRecalibration();
            }
        }

        return layers.Count;
    }
}
