using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    /// <summary>Keras' clipping epsilon for probabilities (backend.epsilon()).</summary>
    public const float Epsilon = 1e-7f;

    /// <summary>
    /// Per-sample sparse categorical cross-entropy (tf.keras.losses.sparse_categorical_crossentropy).
    /// yTrue: [N] class indices; yPred: [N, C] probabilities, or logits when <paramref name="fromLogits"/>.
    /// Returns [N].
    /// </summary>
    public static Tensor SparseCategoricalCrossentropy(Tensor yTrue, Tensor yPred, bool fromLogits = false)
    {
        var be = SameBackend(yTrue, yPred);
        int cols = yPred.Shape.Last, rows = yPred.Shape.Rows;
        if (yTrue.Size != rows)
        {
            throw new ArgumentException($"sparse cross-entropy: {yTrue.Size} labels {yTrue.Shape} for {rows} predictions {yPred.Shape}; pass one class index per sample");
        }

        var loss = New(new Shape(rows), be);
        var probs = fromLogits ? NewLike(yPred) : null;
        be.SparseCrossEntropy(yPred.Storage, yTrue.Storage, loss.Storage, probs?.Storage ?? yPred.Storage, rows, cols, fromLogits, Epsilon);
        GradientTape.Record([yTrue, yPred], [loss], (g, need) =>
        {
            var dx = NewLike(yPred);
            be.SparseCrossEntropyBackward(yPred.Storage, probs?.Storage ?? yPred.Storage, yTrue.Storage, g[0]!.Storage, dx.Storage, rows, cols, fromLogits, Epsilon);
            return Grads(null, dx);
        });
        return loss;
    }

    /// <summary>
    /// Per-sample categorical cross-entropy with one-hot (or soft) targets: −Σ y·log(p) over the last axis.
    /// </summary>
    public static Tensor CategoricalCrossentropy(Tensor yTrue, Tensor yPred, bool fromLogits = false)
    {
        var p = fromLogits ? Softmax(yPred) : yPred;
        // Keras normalizes probabilities to sum to 1 and clips them to [ε, 1−ε].
        var logp = Log(ClipByValue(fromLogits ? p : Div(p, ReduceSum(p, -1, keepDims: true)), Epsilon, 1 - Epsilon));
        return Affine(ReduceSum(Mul(yTrue, logp), -1), -1f, 0f);
    }

    /// <summary>Per-sample mean squared error over the last axis.</summary>
    public static Tensor MeanSquaredError(Tensor yTrue, Tensor yPred) => ReduceMean(Square(Sub(yPred, yTrue)), -1);

    /// <summary>Per-sample Huber loss over the last axis: ½x² for |x| ≤ δ, δ(|x| − ½δ) beyond.</summary>
    public static Tensor Huber(Tensor yTrue, Tensor yPred, float delta = 1f)
    {
        var a = Abs(Sub(yPred, yTrue));
        var q = ClipByValue(a, 0f, delta);
        return ReduceMean(Mul(q, Sub(a, Affine(q, 0.5f, 0f))), -1);
    }
}
