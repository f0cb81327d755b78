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

        // The same computation by hand.
        var ha = Ops.Tanh(Ops.Dense(xa, shared.Kernel!, shared.Bias!, Backends.Activation.Linear));
        var hb = Ops.Tanh(Ops.Dense(xb, shared.Kernel!, shared.Bias!, Backends.Activation.Linear));
        var last = (Dense)model.Layers[^1];
        var expected = Ops.Dense(Ops.Concat([ha, hb]), last.Kernel!, last.Bias!, Backends.Activation.Linear).ToArray();
        CollectionAssert.AreEqual(expected, y.ToArray(), new Tolerance(1e-6f));
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
    private sealed class MySparseCategoricalAccuracy() : Metric("my_accuracy")
    {
        private int _total;
        private int _count;

        public override void UpdateState(Tensor yTrue, Tensor yPred)
        {
            var values = Ops.ArgMax(yPred).ToArray().Zip(yTrue.ToArray(), (p, t) => p == t ? 1 : 0);
            _total += yTrue.Shape[0];
            _count += values.Sum();
        }

        public override double Result() => (double)_count / _total;

        public override void ResetState() => (_total, _count) = (0, 0);
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

        CollectionAssert.AreEqual(new[] { 0.40784496f, 1.191065f, 1.9742855f }, model.Variables[0].Numpy(), new Tolerance(1e-4f));
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
        Assert.AreEqual(0.75, mine.Result());
        Assert.AreEqual(0.75, builtin.Result());
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

    [TestMethod]
    public void LSTM_layer_equals_the_unrolled_LSTMCell_loop()
    {
        var x = Tensor.FromArray(GradientCheck.Rand(3 * 5 * 4, 9), 3, 5, 4);
        var layer = new LSTM(6);
        var y = layer.Apply(x).ToArray();
        var cell = layer.Cell;
        var state = cell.GetInitialState(3);
        Tensor h = state.H;
        for (int t = 0; t < 5; t++)
        {
            (h, state) = cell.Apply(Ops.Take(x, 1, t), state);
        }

        CollectionAssert.AreEqual(h.ToArray(), y);
        var seq = new LSTM(6, returnSequences: true);
        Assert.AreEqual(new Shape(3, 5, 6), seq.Apply(x).Shape);
    }
}
