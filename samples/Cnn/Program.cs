// The chapter's CNN on the MNIST digits: two 5x5 convolutions with max pooling, Dense(1024), softmax;
// trained with Fit and evaluated. On a CPU a batch takes tens of milliseconds; --device opencl in
// edgenet-train uses a GPU (here: Device.Select("auto")).
// dotnet run [-- SAMPLES]   (default: the whole training split, one epoch)
using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

using var device = Device.Select("cpu");              // or "auto": the first OpenCL GPU if there is one
var (train, test) = Datasets.LoadDigits();
if (args.Length > 0)
{
    train = train.Take(int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture));
}

var model = new CNN();
model.Compile(new Adam(learningRate: 0.001f), "sparse_categorical_crossentropy", "sparse_categorical_accuracy");
Console.WriteLine($"{train} on {Device.Name}");
model.Fit(new NDArray(train.Images, train.Count, 28, 28, 1), new NDArray(train.LabelsAsFloat(), train.Count), epochs: 1, batchSize: 50, verbose: 2);
var result = model.Evaluate(new NDArray(test.Images, test.Count, 28, 28, 1), new NDArray(test.LabelsAsFloat(), test.Count), batchSize: 50, verbose: 0);
Console.WriteLine($"parameters: {model.CountParams()}");
Console.WriteLine($"test accuracy: {result["sparse_categorical_accuracy"]:F4}");

internal sealed class CNN : Model
{
    private readonly Conv2D _conv1 = new(filters: 32, kernelSize: [5, 5], padding: "same", activation: "relu");
    private readonly MaxPool2D _pool1 = new(poolSize: [2, 2], strides: [2, 2]);
    private readonly Conv2D _conv2 = new(filters: 64, kernelSize: [5, 5], padding: "same", activation: "relu");
    private readonly MaxPool2D _pool2 = new(poolSize: [2, 2], strides: [2, 2]);
    private readonly Reshape _flatten = new(targetShape: [7 * 7 * 64]);
    private readonly Dense _dense1 = new(units: 1024, activation: "relu");
    private readonly Dense _dense2 = new(units: 10);

    public override Tensor Call(Tensor input, bool training = false)
    {
        var h = _conv1.Apply(input);     // [batch, 28, 28, 32]
        h = _pool1.Apply(h);             // [batch, 14, 14, 32]
        h = _conv2.Apply(h);             // [batch, 14, 14, 64]
        h = _pool2.Apply(h);             // [batch, 7, 7, 64]
        h = _flatten.Apply(h);           // [batch, 3136]
        h = _dense1.Apply(h);            // [batch, 1024]
        h = _dense2.Apply(h);            // [batch, 10]
        return Ops.Softmax(h);
    }
}
