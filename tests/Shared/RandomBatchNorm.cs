using EdgeNet.Trainer.Keras.Models;

namespace EdgeNet.Tests.Shared;

/// <summary>Random BatchNormalization statistics and affine parameters, so that folding them is not the identity.</summary>
internal static class RandomBatchNorm
{
    /// <summary>γ in [0.5, 1.5), β and the moving mean in [−0.5, 0.5), the moving variance in [0.2, 1.2), drawn in layer order.</summary>
    public static Model Randomize(Model model, int seed)
    {
        var rng = new Random(seed);
        foreach (var bn in model.BatchNormalizationLayers())
        {
            int c = bn.Gamma!.Shape.Size;
            bn.Gamma.Assign(Enumerable.Range(0, c).Select(_ => 0.5f + (float)rng.NextDouble()).ToArray());
            bn.Beta!.Assign(Enumerable.Range(0, c).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray());
            bn.MovingMean!.Assign(Enumerable.Range(0, c).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray());
            bn.MovingVariance!.Assign(Enumerable.Range(0, c).Select(_ => 0.2f + (float)rng.NextDouble()).ToArray());
        }

        return model;
    }
}
