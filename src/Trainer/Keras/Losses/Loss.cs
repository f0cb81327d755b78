using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Losses;

/// <summary>
/// A loss (tf.keras.losses.Loss): <see cref="Call"/> gives per-sample losses (or an already reduced
/// value); <see cref="Apply"/> averages them over the batch (SUM_OVER_BATCH_SIZE).
/// </summary>
public abstract class Loss
{
    protected Loss(string name) => Name = name;

    public string Name { get; }

    public abstract Tensor Call(Tensor yTrue, Tensor yPred);

    public Tensor Apply(Tensor yTrue, Tensor yPred) => Ops.ReduceMean(Call(yTrue, yPred));

    /// <summary>A loss by its Keras name ("sparse_categorical_crossentropy", "mse", "huber", ...).</summary>
    public static Loss Get(string name) => name.ToLowerInvariant() switch
    {
        "sparse_categorical_crossentropy" => new SparseCategoricalCrossentropy(),
        "categorical_crossentropy" => new CategoricalCrossentropy(),
        "mse" or "mean_squared_error" => new MeanSquaredError(),
        "huber" => new Huber(),
        _ => throw new ArgumentException($"unknown loss '{name}'; use sparse_categorical_crossentropy, categorical_crossentropy, mse or huber, or pass a Loss subclass"),
    };

    public override string ToString() => Name;
}

/// <summary>Cross-entropy against integer class labels [N] (probabilities by default, or logits).</summary>
public sealed class SparseCategoricalCrossentropy(bool fromLogits = false) : Loss("sparse_categorical_crossentropy")
{
    public bool FromLogits { get; } = fromLogits;

    public override Tensor Call(Tensor yTrue, Tensor yPred) => Ops.SparseCategoricalCrossentropy(yTrue, yPred, FromLogits);
}

/// <summary>Cross-entropy against one-hot (or soft) targets [N, C].</summary>
public sealed class CategoricalCrossentropy(bool fromLogits = false) : Loss("categorical_crossentropy")
{
    public bool FromLogits { get; } = fromLogits;

    public override Tensor Call(Tensor yTrue, Tensor yPred) => Ops.CategoricalCrossentropy(yTrue, yPred, FromLogits);
}

/// <summary>Mean of squared differences over the last axis.</summary>
public sealed class MeanSquaredError() : Loss("mean_squared_error")
{
    public override Tensor Call(Tensor yTrue, Tensor yPred) => Ops.MeanSquaredError(yTrue, yPred);
}

/// <summary>Huber loss with threshold delta (quadratic inside, linear outside).</summary>
public sealed class Huber(float delta = 1f) : Loss("huber")
{
    public float Delta { get; } = delta;

    public override Tensor Call(Tensor yTrue, Tensor yPred) => Ops.Huber(yTrue, yPred, Delta);
}
