using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Tests;

/// <summary>
/// Forward values of the losses against numbers computed by hand (the formula in double precision
/// written out in the test, never the library's own code).
/// </summary>
[TestClass]
public sealed class LossValueTests
{
    private static void Close(double[] expected, Tensor actual, double tol, string what)
    {
        float[] got = actual.ToArray();
        Assert.HasCount(expected.Length, got, what);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], got[i], tol, $"{what} [{i}]");
        }
    }

    [TestMethod]
    public void Sparse_cross_entropy_from_probabilities_and_from_logits()
    {
        using var scope = TensorScope.Begin();
        var labels = Tensor.FromArray([0f, 2f], 2);
        var probs = Tensor.FromRows([[0.7f, 0.2f, 0.1f], [0.1f, 0.3f, 0.6f]]);
        // −ln p[label]: −ln 0.7 = 0.356675, −ln 0.6 = 0.510826
        Close([0.35667494393873245, 0.51082562376599072], Ops.SparseCategoricalCrossentropy(labels, probs), 1e-6, "from probabilities");

        // logsumexp(z) − z[label]: ln(e² + e + 1) − 2 = 0.407606, ln(1 + e + e³) − 3 = 0.169870
        var logits = Tensor.FromRows([[2f, 1f, 0f], [0f, 1f, 3f]]);
        double r0 = Math.Log(Math.Exp(2) + Math.Exp(1) + 1) - 2, r1 = Math.Log(1 + Math.E + Math.Exp(3)) - 3;
        Assert.AreEqual(0.40760596444438, r0, 1e-12, "hand value of row 0");
        Close([r0, r1], Ops.SparseCategoricalCrossentropy(labels, logits, fromLogits: true), 1e-6, "from logits");

        // A probability of 0 at the label is clipped to ε = 1e-7: −ln 1e-7 = 16.118096.
        var zero = Tensor.FromRows([[0f, 1f, 0f]]);
        Close([-Math.Log(1e-7)], Ops.SparseCategoricalCrossentropy(Tensor.FromArray([0f], 1), zero), 1e-4, "clipped at epsilon");
    }

    [TestMethod]
    public void Sparse_cross_entropy_equals_categorical_cross_entropy_with_one_hot_targets()
    {
        using var scope = TensorScope.Begin();
        var labels = Tensor.FromArray([1f, 0f, 2f], 3);
        var oneHot = Tensor.FromRows([[0f, 1f, 0f], [1f, 0f, 0f], [0f, 0f, 1f]]);
        var probs = Tensor.FromRows([[0.2f, 0.5f, 0.3f], [0.9f, 0.05f, 0.05f], [0.25f, 0.25f, 0.5f]]);
        var logits = Tensor.FromRows([[0.5f, -1f, 2f], [3f, 0f, -2f], [-0.5f, 0.5f, 1.5f]]);
        double[] fromProbs = [-Math.Log(0.5), -Math.Log(0.9), -Math.Log(0.5)];
        Close(fromProbs, Ops.CategoricalCrossentropy(oneHot, probs), 1e-6, "categorical, probabilities");
        Close(fromProbs, Ops.SparseCategoricalCrossentropy(labels, probs), 1e-6, "sparse, probabilities");
        float[] sparse = Ops.SparseCategoricalCrossentropy(labels, logits, fromLogits: true).ToArray();
        float[] dense = Ops.CategoricalCrossentropy(oneHot, logits, fromLogits: true).ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.AreEqual(sparse[i], dense[i], 1e-5f, $"row {i} from logits");
        }

        // A zero probability at the label: both clip it to ε = 1e-7 (−ln 1e-7 = 16.118096), Keras' backend.epsilon().
        var certainWrong = Tensor.FromRows([[0f, 1f, 0f]]);
        Close([-Math.Log(1e-7)], Ops.CategoricalCrossentropy(Tensor.FromRows([[1f, 0f, 0f]]), certainWrong), 1e-4, "categorical, clipped at epsilon");
    }

    [TestMethod]
    public void Mean_squared_error_per_sample()
    {
        using var scope = TensorScope.Begin();
        var yTrue = Tensor.FromRows([[1f, 2f], [3f, 4f]]);
        var yPred = Tensor.FromRows([[1.5f, 2f], [2f, 5f]]);
        // ((0.5)² + 0²)/2 = 0.125, ((−1)² + 1²)/2 = 1
        Close([0.125, 1.0], Ops.MeanSquaredError(yTrue, yPred), 1e-7, "mse");
    }

    [TestMethod]
    public void Huber_is_quadratic_inside_delta_and_linear_beyond()
    {
        using var scope = TensorScope.Begin();
        var yTrue = Tensor.FromRows([[0f, 0f, 0f, 0f]]);
        var yPred = Tensor.FromRows([[0.5f, -2f, 1f, 3f]]);
        // δ = 1: ½·0.25 = 0.125, 1·(2 − ½) = 1.5, ½·1 = 0.5 (the boundary), 1·(3 − ½) = 2.5; mean 1.15625
        Close([1.15625], Ops.Huber(yTrue, yPred, delta: 1f), 1e-7, "huber δ = 1");
        // δ = 2: 0.125, ½·4 = 2 (the boundary), 0.5, 2·(3 − 1) = 4; mean 1.65625
        Close([1.65625], Ops.Huber(yTrue, yPred, delta: 2f), 1e-7, "huber δ = 2");
    }
}
