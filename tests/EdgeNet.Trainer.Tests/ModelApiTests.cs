using EdgeNet.Tests.Shared;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Losses;
using EdgeNet.Trainer.Keras.Metrics;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Tests;

/// <summary>Sequential, functional and subclassed models; custom layers, losses and metrics as in the chapter.</summary>
[TestClass]
public sealed class ModelApiTests
{
    private static Tensor Batch(int n, int seed) => Tensor.FromArray(GradientCheck.Rand(n * 784, seed, 0, 1), n, 28, 28, 1);

    private static void CopyWeights(Model from, Model to)
    {
        Assert.HasCount(from.Variables.Count, to.Variables);
        for (int i = 0; i < from.Variables.Count; i++)
        {
            to.Variables[i].Assign(from.Variables[i].Numpy());
        }
    }

    [TestMethod]
    public void Sequential_functional_and_subclassed_MLP_give_identical_outputs()
    {
        var x = Batch(7, 1);
        var sub = new MLP();
        var yRef = sub.Apply(x).ToArray();

        var seq = new Sequential([new Flatten(), new Dense(100, activation: "relu"), new Dense(10), new Softmax()]);
        seq.Apply(x);
        CopyWeights(sub, seq);

        var inputs = Input.Create([28, 28, 1]);
        var h = new Flatten().Apply(inputs);
        h = new Dense(units: 100, activation: "relu").Apply(h);
        h = new Dense(units: 10).Apply(h);
        var outputs = new Softmax().Apply(h);
        var func = new Model(inputs, outputs);
        CopyWeights(sub, func);

        CollectionAssert.AreEqual(yRef, seq.Apply(x).ToArray());
        CollectionAssert.AreEqual(yRef, func.Apply(x).ToArray());
        Assert.AreEqual(79_510, func.CountParams());
        StringAssert.Contains(func.Summary(), "(None, 100)");
        foreach (float s in Enumerable.Range(0, 7).Select(r => yRef.Skip(r * 10).Take(10).Sum()))
        {
            Assert.AreEqual(1f, s, 1e-5f, "softmax rows sum to 1");
        }
    }

    [TestMethod]
    public void Functional_model_with_two_inputs_and_a_shared_layer()
    {
        var a = Input.Create([4]);
        var b = Input.Create([4]);
        var shared = new Dense(3, activation: "tanh");
        var merged = new Concatenate().Apply(shared.Apply(a), shared.Apply(b));
        var model = new Model([a, b], [new Dense(2).Apply(merged)]);
        var xa = Tensor.FromArray([1f, 2f, 3f, 4f], 1, 4);
        var xb = Tensor.FromArray([-1f, 0f, 1f, 0.5f], 1, 4);
        var y = model.Apply([xa, xb]);
        Assert.AreEqual(new Shape(1, 2), y.Shape);
        Assert.HasCount(4, model.Variables, "the shared Dense counts once");

        // The same computation in double precision from the weight arrays: tanh(x·K + b) for each input,
        // concatenated, then ·K2 + b2.
        float[] k = shared.Kernel!.Numpy(), bias = shared.Bias!.Numpy();
        double[] Hidden(float[] x) => Enumerable.Range(0, 3).Select(j => Math.Tanh(bias[j] + Enumerable.Range(0, 4).Sum(i => (double)x[i] * k[(i * 3) + j]))).ToArray();
        double[] merged6 = [.. Hidden([1f, 2f, 3f, 4f]), .. Hidden([-1f, 0f, 1f, 0.5f])];
        var last = (Dense)model.Layers[^1];
        float[] k2 = last.Kernel!.Numpy(), b2 = last.Bias!.Numpy();
        float[] got = y.ToArray();
        for (int j = 0; j < 2; j++)
        {
            double expected = b2[j] + Enumerable.Range(0, 6).Sum(i => merged6[i] * k2[(i * 2) + j]);
            Assert.AreEqual(expected, got[j], 1e-5, $"output {j}");
        }
    }

    /// <summary>The chapter's custom layer.</summary>
    private sealed class LinearLayer(int units) : Layer
    {
        private Variable? _w;
        private Variable? _b;

        public override void Build(Shape inputShape)
        {
            _w = AddWeight("w", [inputShape[-1], units], Initializer.Zeros);
            _b = AddWeight("b", [units], Initializer.Zeros);
        }

        public override Tensor Call(Tensor input, bool training = false) => Ops.MatMul(input, _w!) + _b!.Value;
    }

    private sealed class LinearModel : Model
    {
        private readonly LinearLayer _layer = new(units: 1);

        public override Tensor Call(Tensor input, bool training = false) => _layer.Apply(input);
    }

    /// <summary>The chapter's custom loss.</summary>
    private sealed class MyMeanSquaredError() : Loss("my_mse")
    {
        public override Tensor Call(Tensor yTrue, Tensor yPred) => Ops.ReduceMean(Ops.Square(yPred - yTrue));
    }

    /// <summary>The chapter's custom metric (total/count kept as in its add_weight version).</summary>
    /// <summary>The chapter's custom metric: its state in weights made with AddWeight, updated with AssignAdd, reset by the base class.</summary>
    private sealed class MySparseCategoricalAccuracy : Metric
    {
        private readonly Variable _total;
        private readonly Variable _count;

        public MySparseCategoricalAccuracy()
            : base("my_accuracy")
        {
            _total = AddWeight("total");
            _count = AddWeight("count");
        }

        public override void UpdateState(Tensor yTrue, Tensor yPred)
        {
            int right = Ops.ArgMax(yPred).ToArray().Zip(yTrue.ToArray(), (p, t) => p == t ? 1 : 0).Sum();
            _total.AssignAdd(yTrue.Shape[0]);
            _count.AssignAdd(right);
        }

        public override double Result() => _count.Numpy()[0] / _total.Numpy()[0];
    }

    [TestMethod]
    public void Custom_layer_and_loss_train_the_linear_example_to_the_keras_values()
    {
        var model = new LinearModel();
        model.Compile(new SGD(0.01f), new MyMeanSquaredError());
        var x = Tensor.FromRows([[1f, 2f, 3f], [4f, 5f, 6f]]);
        var y = Tensor.FromRows([[10f], [20f]]);
        for (int i = 0; i < 100; i++)
        {
            model.TrainOnBatch(x, y);
        }

        CollectionAssert.AreEqual(new[] { 0.40784496f, 1.191065f, 1.9742855f }, model.Variables[0].Numpy(), new FloatTolerance(1e-4f));
        Assert.AreEqual(0.78322077f, model.Variables[1].Numpy()[0], 1e-4f);
    }

    [TestMethod]
    public void Custom_metric_agrees_with_the_builtin_one()
    {
        var yTrue = Tensor.FromArray([0f, 1f, 2f, 1f], 4);
        var yPred = Tensor.FromRows([[0.8f, 0.1f, 0.1f], [0.2f, 0.5f, 0.3f], [0.6f, 0.3f, 0.1f], [0.1f, 0.7f, 0.2f]]);
        var mine = new MySparseCategoricalAccuracy();
        var builtin = new SparseCategoricalAccuracy();
        mine.UpdateState(yTrue, yPred);
        builtin.UpdateState(yTrue, yPred);
        Assert.AreEqual(0.75, mine.Result(), "3 of 4 by hand");
        Assert.AreEqual(0.75, builtin.Result());
        Assert.HasCount(2, mine.Variables);
        Assert.IsTrue(mine.Variables.All(v => !v.Trainable), "metric state is not trained");
        CollectionAssert.AreEqual(new[] { 4f }, mine.Variables[0].Numpy(), "total held in the weight");

        // A second batch accumulates in the weights: 2 more right of 2, 5 of 6 in all; ResetState zeroes them.
        mine.UpdateState(Tensor.FromArray([0f, 2f], 2), Tensor.FromRows([[0.9f, 0.05f, 0.05f], [0.1f, 0.1f, 0.8f]]));
        Assert.AreEqual(5.0 / 6.0, mine.Result(), 1e-7);
        mine.ResetState();
        CollectionAssert.AreEqual(new[] { 0f }, mine.Variables[0].Numpy());
        CollectionAssert.AreEqual(new[] { 0f }, mine.Variables[1].Numpy());
        builtin.ResetState();
        Assert.AreEqual(0.0, builtin.Result());
    }

    [TestMethod]
    [DoNotParallelize] // layer names come from process-wide counters, as in Keras
    public void Layers_build_lazily_with_keras_shapes_and_names()
    {
        KerasBackend.ClearSession();
        var cnn = new CNN();
        Assert.IsEmpty(cnn.Variables);
        cnn.Apply(Batch(2, 3));
        var shapes = cnn.Variables.Select(v => v.Shape.ToString()).ToArray();
        CollectionAssert.AreEqual(new[] { "[5, 5, 1, 32]", "[32]", "[5, 5, 32, 64]", "[64]", "[3136, 1024]", "[1024]", "[1024, 10]", "[10]" }, shapes);
        Assert.AreEqual("conv2d/kernel", cnn.Variables[0].Name);
        Assert.AreEqual("conv2d_1/kernel", cnn.Variables[2].Name);
        Assert.AreEqual(3_274_634, cnn.CountParams());
    }

    /// <summary>
    /// An LSTM written independently here in double precision, Keras' gate order i, f, c, o:
    /// z = x·W + h·U + b; i = σ(z_i), f = σ(z_f), g = tanh(z_c), o = σ(z_o); c = f·c + i·g; h = o·tanh(c).
    /// Returns h after every step, [batch][time][units].
    /// </summary>
    private static double[][][] ReferenceLstm(float[] x, int batch, int steps, int inDim, int units, float[] w, float[] u, float[] b)
    {
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        var result = new double[batch][][];
        for (int n = 0; n < batch; n++)
        {
            double[] h = new double[units], c = new double[units];
            result[n] = new double[steps][];
            for (int t = 0; t < steps; t++)
            {
                var z = new double[4 * units];
                for (int j = 0; j < 4 * units; j++)
                {
                    z[j] = b[j];
                    for (int i = 0; i < inDim; i++)
                    {
                        z[j] += x[(((n * steps) + t) * inDim) + i] * (double)w[(i * 4 * units) + j];
                    }

                    for (int i = 0; i < units; i++)
                    {
                        z[j] += h[i] * u[(i * 4 * units) + j];
                    }
                }

                var hNew = new double[units];
                for (int j = 0; j < units; j++)
                {
                    double ig = Sigmoid(z[j]), fg = Sigmoid(z[units + j]), g = Math.Tanh(z[(2 * units) + j]), og = Sigmoid(z[(3 * units) + j]);
                    c[j] = (fg * c[j]) + (ig * g);
                    hNew[j] = og * Math.Tanh(c[j]);
                }

                h = hNew;
                result[n][t] = hNew;
            }
        }

        return result;
    }

    [TestMethod]
    public void An_LSTM_layer_has_Keras_parameter_count_after_running()
    {
        // Keras: 4·(units·(features + units) + units) = 448 for LSTM(8) on 5 features. The layer built its cell and the
        // cell's first step built it again: 896 weights, half of them dead (found by the ONNX importer's count).
        var input = Input.Create([7, 5]);
        var model = new Model(input, new LSTM(8).Apply(input));
        model.Predict(Tensor.FromArray(new float[2 * 7 * 5], 2, 7, 5));
        Assert.AreEqual(448, model.CountParams());
    }

    [TestMethod]
    public void LSTM_layer_equals_an_independent_LSTM_in_double_precision()
    {
        const int Batch = 3, Steps = 5, In = 4, Units = 6;
        float[] xs = GradientCheck.Rand(Batch * Steps * In, 9);
        var x = Tensor.FromArray(xs, Batch, Steps, In);
        var layer = new LSTM(Units);
        float[] y = layer.Apply(x).ToArray();
        var cell = layer.Cell;
        float[] bias = [.. Enumerable.Range(0, 4 * Units).Select(j => (0.1f * (j % 7)) - 0.3f)];   // non-zero, so the gate order shows in it too
        cell.Bias!.Assign(bias);
        y = layer.Apply(x).ToArray();
        var reference = ReferenceLstm(xs, Batch, Steps, In, Units, cell.Kernel!.Numpy(), cell.RecurrentKernel!.Numpy(), bias);
        for (int n = 0; n < Batch; n++)
        {
            for (int j = 0; j < Units; j++)
            {
                Assert.AreEqual(reference[n][Steps - 1][j], y[(n * Units) + j], 1e-5, $"h[{n}, {j}] after the last step");
            }
        }

        var seq = new LSTM(Units, returnSequences: true);
        seq.Apply(x);
        seq.Cell.Kernel!.Assign(cell.Kernel.Numpy());
        seq.Cell.RecurrentKernel!.Assign(cell.RecurrentKernel.Numpy());
        seq.Cell.Bias!.Assign(bias);

        float[] all = seq.Apply(x).ToArray();
        Assert.AreEqual(new Shape(Batch, Steps, Units), seq.Apply(x).Shape);
        for (int n = 0; n < Batch; n++)
        {
            for (int t = 0; t < Steps; t++)
            {
                for (int j = 0; j < Units; j++)
                {
                    Assert.AreEqual(reference[n][t][j], all[(((n * Steps) + t) * Units) + j], 1e-5, $"h[{n}, {t}, {j}] of the sequence");
                }
            }
        }
    }
}
