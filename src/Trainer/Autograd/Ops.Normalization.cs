using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    /// <summary>The trace kind of <see cref="BatchNorm"/>: not an operator of the contract; the exporter folds it into the convolution or dense layer before it.</summary>
    internal const string BatchNormKind = "batch_norm";

    /// <summary>
    /// Batch normalization over the last axis (tf.keras.layers.BatchNormalization, axis −1):
    /// y = (x − μ) / √(σ² + ε) · γ + β. With <paramref name="training"/> μ and σ² are the batch's own
    /// (biased) statistics over every other axis, the gradient flows through them, and the moving
    /// statistics are updated in place: moving = momentum·moving + (1 − momentum)·batch, the variance
    /// with Bessel's correction n/(n − 1) as TensorFlow's fused kernel and PyTorch do. Otherwise μ and σ²
    /// are the moving statistics. x: [..., C]  γ, β, moving mean/variance: [C]  y: x's shape.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor gamma, Tensor beta, Variable movingMean, Variable movingVariance, float epsilon, float momentum, bool training)
    {
        ArgumentNullException.ThrowIfNull(movingMean);
        ArgumentNullException.ThrowIfNull(movingVariance);
        var be = SameBackend(x, gamma, beta, movingMean.Value, movingVariance.Value);
        int c = x.Shape.Last, rows = x.Size / Math.Max(1, c);
        if (gamma.Size != c || beta.Size != c || movingMean.Value.Size != c || movingVariance.Value.Size != c)
        {
            throw new ArgumentException($"BatchNorm over the last axis of {x.Shape} needs gamma, beta and the moving statistics of {c} values; got {gamma.Shape}, {beta.Shape}, {movingMean.Shape}, {movingVariance.Shape}");
        }

        Tensor mean = movingMean.Value, variance = movingVariance.Value;
        if (training)
        {
            if (rows < 2)
            {
                throw new ArgumentException($"BatchNorm in training mode needs at least 2 values per channel to estimate a variance; got {x.Shape}. Train with a batch of 2 or more, or call the model with training: false");
            }

            mean = New(new Shape(c), be);
            variance = New(new Shape(c), be);
            be.BatchNormMoments(x.Storage, rows, c, mean.Storage, variance.Storage);
            be.MovingAverage(movingMean.Value.Storage, mean.Storage, c, momentum, 1f);
            be.MovingAverage(movingVariance.Value.Storage, variance.Storage, c, momentum, rows / (rows - 1f));
        }

        var y = NewLike(x);
        be.BatchNormForward(x.Storage, rows, c, mean.Storage, variance.Storage, gamma.Storage, beta.Storage, epsilon, y.Storage);
        if (OpRecording.Active)
        {
            OpRecording.Record(BatchNormKind, [x, gamma, beta, movingMean.Value, movingVariance.Value], [y], new KeyValuePair<string, EnbValue>("epsilon", EnbValue.F32(epsilon)));
        }

        GradientTape.Record([x, gamma, beta], [y], (grads, need) =>
        {
            var dx = NewLike(x);
            var dg = NewLike(gamma);
            var db = NewLike(beta);
            be.BatchNormBackward(x.Storage, grads[0]!.Storage, rows, c, mean.Storage, variance.Storage, gamma.Storage, epsilon, training, dx.Storage, dg.Storage, db.Storage);
            return Grads(dx, dg, db);
        });
        return y;
    }
}
