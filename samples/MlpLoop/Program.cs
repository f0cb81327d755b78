// The chapter's MLP on the MNIST digits with its own training loop: random batches, GradientTape,
// Adam, then the test accuracy with SparseCategoricalAccuracy in batches.
// dotnet run [-- BATCHES]   (default: the chapter's 5 epochs of batch 50)
using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Metrics;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

const int BatchSize = 50;
var (train, test) = Datasets.LoadDigits();        // data/mnist-digits, or $EDGENET_DATA/mnist-digits
int batches = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5 * train.Count / BatchSize;
Console.WriteLine($"{train}; {batches} batches of {BatchSize}");

var model = new MLP();
var optimizer = new Adam(learningRate: 0.001f);
var x = new NDArray(train.Images, train.Count, 28, 28, 1);
var y = new NDArray(train.LabelsAsFloat(), train.Count);
var rng = new Random(1);
var index = new int[BatchSize];
float[] xStage = new float[BatchSize * 784], yStage = new float[BatchSize];
for (int batch = 0; batch < batches; batch++)
{
    for (int i = 0; i < BatchSize; i++)
    {
        index[i] = rng.Next(train.Count);
    }

    using var scope = TensorScope.Begin();
    using var tape = new GradientTape();
    var yPred = model.Apply(x.Gather(index, xStage));
    var loss = Ops.ReduceMean(Ops.SparseCategoricalCrossentropy(y.Gather(index, yStage), yPred));
    if (batch % 100 == 0)
    {
        Console.WriteLine($"batch {batch}: loss {loss.ToArray()[0]:F6}");
    }

    var grads = tape.Gradient(loss, model.Variables);
    optimizer.ApplyGradients(grads.Zip(model.Variables));
}

var accuracy = new SparseCategoricalAccuracy();
var xTest = new NDArray(test.Images, test.Count, 28, 28, 1);
var yTest = new NDArray(test.LabelsAsFloat(), test.Count);
for (int start = 0; start < test.Count; start += BatchSize)
{
    using var scope = TensorScope.Begin();
    var range = Enumerable.Range(start, Math.Min(BatchSize, test.Count - start)).ToArray();
    accuracy.UpdateState(yTest.Gather(range, yStage), model.Predict(xTest.Gather(range, xStage)));
}

Console.WriteLine($"test accuracy: {accuracy.Result():F6}");

internal sealed class MLP : Model
{
    private readonly Flatten _flatten = new();
    private readonly Dense _dense1 = new(units: 100, activation: "relu");
    private readonly Dense _dense2 = new(units: 10);

    public override Tensor Call(Tensor input, bool training = false)
    {
        var h = _flatten.Apply(input);   // [batch, 784]
        h = _dense1.Apply(h);            // [batch, 100]
        h = _dense2.Apply(h);            // [batch, 10]
        return Ops.Softmax(h);
    }
}
