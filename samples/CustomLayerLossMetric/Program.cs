// The chapter's custom Keras parts: a Layer with its own weights (AddWeight in Build), a Loss and a
// Metric whose state lives in weights. The custom layer and loss train the linear example through
// Compile/Fit to the same values as LinearRegression; the custom metric agrees with the built-in one.
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Losses;
using EdgeNet.Trainer.Keras.Metrics;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

var model = new LinearModel();
model.Compile(new SGD(learningRate: 0.01f), new MeanSquaredErrorLoss());
var x = new NDArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
var y = new NDArray([10f, 20f], 2, 1);
model.Fit(x, y, epochs: 100, batchSize: 2, shuffle: false, verbose: 0);   // one full batch per epoch: 100 SGD steps
Console.WriteLine($"kernel: [{string.Join(", ", model.Variables[0].Numpy())}]");
Console.WriteLine($"bias: [{string.Join(", ", model.Variables[1].Numpy())}]");

var yTrue = Tensor.FromArray([0f, 1f, 2f, 1f], 4);
var yPred = Tensor.FromRows([[0.8f, 0.1f, 0.1f], [0.2f, 0.5f, 0.3f], [0.6f, 0.3f, 0.1f], [0.1f, 0.7f, 0.2f]]);
var mine = new MySparseCategoricalAccuracy();
var builtin = new SparseCategoricalAccuracy();
mine.UpdateState(yTrue, yPred);
builtin.UpdateState(yTrue, yPred);
Console.WriteLine($"custom accuracy: {mine.Result()}, built-in accuracy: {builtin.Result()}");

/// <summary>y = x·w + b with its weights made in Build, once the input's last dimension is known.</summary>
internal sealed class LinearLayer(int units) : Layer
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

internal sealed class LinearModel : Model
{
    private readonly LinearLayer _layer = new(units: 1);

    public override Tensor Call(Tensor input, bool training = false) => _layer.Apply(input);
}

internal sealed class MeanSquaredErrorLoss() : Loss("mean_squared_error")
{
    public override Tensor Call(Tensor yTrue, Tensor yPred) => Ops.ReduceMean(Ops.Square(yPred - yTrue));
}

/// <summary>The share of rows whose most probable class is the label; total and count kept in weights.</summary>
internal sealed class MySparseCategoricalAccuracy : Metric
{
    private readonly Variable _total;
    private readonly Variable _count;

    public MySparseCategoricalAccuracy()
        : base("sparse_categorical_accuracy")
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
