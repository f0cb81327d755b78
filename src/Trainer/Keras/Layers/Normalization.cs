using System.Text.Json.Nodes;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>
/// Batch normalization over the last axis (tf.keras.layers.BatchNormalization, axis −1). Called with
/// training: true (Fit, TrainOnBatch, <c>model.Apply(x, training: true)</c>) it normalizes by the batch's
/// statistics and updates the moving mean and variance (moving = momentum·moving + (1 − momentum)·batch);
/// otherwise (Evaluate, Predict, export) it uses the moving statistics. A layer that is not
/// <see cref="Layer.Trainable"/> always runs in inference mode, as in Keras. Weights in Keras' order:
/// gamma, beta (trainable), moving_mean, moving_variance (not trainable), each [C].
/// </summary>
public sealed class BatchNormalization : Layer
{
    /// <summary>Batch normalization (tf.keras.layers.BatchNormalization) with Keras' defaults: momentum 0.99, epsilon 0.001, center and scale.</summary>
    public BatchNormalization(float momentum = 0.99f, float epsilon = 1e-3f, bool center = true, bool scale = true, string? name = null)
        : base(name)
    {
        Momentum = momentum is >= 0 and < 1 ? momentum : throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1)");
        Epsilon = epsilon > 0 ? epsilon : throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be > 0");
        Center = center;
        Scale = scale;
    }

    /// <summary>How much of the moving statistics each training step keeps.</summary>
    public float Momentum { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public float Epsilon { get; }

    /// <summary>Whether beta (the offset) is learned; if not it stays 0.</summary>
    public bool Center { get; }

    /// <summary>Whether gamma (the scale) is learned; if not it stays 1.</summary>
    public bool Scale { get; }

    /// <summary>gamma [C], once built.</summary>
    public Variable? Gamma { get; private set; }

    /// <summary>beta [C], once built.</summary>
    public Variable? Beta { get; private set; }

    /// <summary>The moving mean [C], once built.</summary>
    public Variable? MovingMean { get; private set; }

    /// <summary>The moving variance [C], once built.</summary>
    public Variable? MovingVariance { get; private set; }

    /// <inheritdoc/>
    public override void Build(Shape inputShape)
    {
        int c = inputShape[inputShape.Rank - 1];
        Gamma = AddWeight("gamma", [c], Initializer.Ones, trainable: Scale);
        Beta = AddWeight("beta", [c], Initializer.Zeros, trainable: Center);
        MovingMean = AddWeight("moving_mean", [c], Initializer.Zeros, trainable: false);
        MovingVariance = AddWeight("moving_variance", [c], Initializer.Ones, trainable: false);
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false)
    {
        bool batchStatistics = training && Trainable;
        float momentum = Momentum;
        if (batchStatistics && _recalibrated >= 0)
        {
            // The k-th recalibration batch (from 0) weighs 1/(k + 1): the moving statistics become the plain average of the batches'.
            momentum = _recalibrated / (_recalibrated + 1f);
            _recalibrated++;
        }

        return Ops.BatchNorm(input, Gamma!, Beta!, MovingMean!, MovingVariance!, Epsilon, momentum, batchStatistics);
    }

    /// <summary>Batches seen since <see cref="BeginRecalibration"/>; −1 when not recalibrating.</summary>
    private int _recalibrated = -1;

    /// <summary>
    /// Starts recomputing the moving statistics from data, as <c>torch.optim.swa_utils.update_bn</c> does: each
    /// batch that passes in training mode until <see cref="EndRecalibration"/> weighs the same, so the moving mean
    /// and variance become the plain average of those batches' statistics (the variance unbiased).
    /// </summary>
    internal void BeginRecalibration() => _recalibrated = 0;

    /// <summary>Ends the recalibration; returns how many batches it averaged.</summary>
    internal int EndRecalibration()
    {
        int n = _recalibrated;
        _recalibrated = -1;
        return n;
    }

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new()
    {
        ["name"] = Name,
        ["momentum"] = Momentum,
        ["epsilon"] = Epsilon,
        ["center"] = Center,
        ["scale"] = Scale,
    };

    internal static BatchNormalization FromConfig(JsonObject c) =>
        new((float?)c["momentum"] ?? 0.99f, (float?)c["epsilon"] ?? 1e-3f, (bool?)c["center"] ?? true, (bool?)c["scale"] ?? true, (string?)c["name"]);
}
