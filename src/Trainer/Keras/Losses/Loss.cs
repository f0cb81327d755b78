using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Losses;

/// <summary>
/// A loss (tf.keras.losses.Loss): <see cref="Call"/> gives per-sample losses (or an already reduced
/// value); <see cref="Apply"/> averages them over the batch (SUM_OVER_BATCH_SIZE).
/// </summary>
public abstract class Loss
{
    /// <summary>A loss named <paramref name="name"/> (the key Fit logs it under).</summary>
    protected Loss(string name) => Name = name;

    /// <summary>The loss's name.</summary>
    public string Name { get; }

    /// <summary>The per-sample loss of predictions <paramref name="yPred"/> against targets <paramref name="yTrue"/> (a custom loss may return the mean directly).</summary>
    public abstract Tensor Call(Tensor yTrue, Tensor yPred);

    /// <summary>The loss averaged over the batch, as Fit minimizes it.</summary>
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

    /// <summary>The loss's name.</summary>
    public override string ToString() => Name;
}

/// <summary>Cross-entropy against integer class labels [N] (probabilities by default, or logits).</summary>
public sealed class SparseCategoricalCrossentropy(bool fromLogits = false) : Loss("sparse_categorical_crossentropy")
{
    /// <summary>True when the predictions are logits, not probabilities.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <inheritdoc/>
    public override Tensor Call(Tensor yTrue, Tensor yPred) => Ops.SparseCategoricalCrossentropy(yTrue, yPred, FromLogits);
}

/// <summary>Cross-entropy against one-hot (or soft) targets [N, C].</summary>
public sealed class CategoricalCrossentropy(bool fromLogits = false) : Loss("categorical_crossentropy")
{
    /// <summary>True when the predictions are logits, not probabilities.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <inheritdoc/>
    public override Tensor Call(Tensor yTrue, Tensor yPred) => Ops.CategoricalCrossentropy(yTrue, yPred, FromLogits);
}

/// <summary>Mean of squared differences over the last axis.</summary>
public sealed class MeanSquaredError() : Loss("mean_squared_error")
{
    /// <inheritdoc/>
    public override Tensor Call(Tensor yTrue, Tensor yPred) => Ops.MeanSquaredError(yTrue, yPred);
}

/// <summary>Huber loss with threshold delta (quadratic inside, linear outside).</summary>
public sealed class Huber(float delta = 1f) : Loss("huber")
{
    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public float Delta { get; } = delta;

    /// <inheritdoc/>
    public override Tensor Call(Tensor yTrue, Tensor yPred) => Ops.Huber(yTrue, yPred, Delta);
}
