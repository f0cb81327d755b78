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
    public int RecalibrateBatchNormalization(NDArray x, int batches, int batchSize = 32, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (batches < 1 || batchSize < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(batches), $"recalibration needs at least 1 batch of at least 2 samples; got {batches} of {batchSize}");
        }

        var layers = BatchNormalizationLayers();
        if (layers.Count == 0)
        {
            return 0;
        }

        var order = Enumerable.Range(0, x.Count).ToArray();
        new Random(seed).Shuffle(order);
        var stage = new float[batchSize * x.SampleSize];
        foreach (var l in layers)
        {
            l.BeginRecalibration();
        }

        try
        {
            for (int b = 0; b < batches; b++)
            {
                int start = (b * batchSize) % Math.Max(1, x.Count - batchSize + 1), n = Math.Min(batchSize, x.Count - start);
                using var scope = TensorScope.Begin();
                var xb = x.Gather(order.AsSpan(start, n), stage);
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
