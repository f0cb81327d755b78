// The chapter's first model: linear regression y = X·a + b on two samples, 100 steps of SGD with
// GradientTape, as tf.keras.Model with one Dense layer. Prints the learned kernel and bias.
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

var x = Tensor.FromRows([[1f, 2f, 3f], [4f, 5f, 6f]]);
var y = Tensor.FromRows([[10f], [20f]]);

var model = new Linear();
var optimizer = new SGD(learningRate: 0.01f);
for (int i = 0; i < 100; i++)
{
    using var scope = TensorScope.Begin();       // frees this step's intermediate tensors
    using var tape = new GradientTape();
    var yPred = model.Apply(x);
    var loss = Ops.ReduceMean(Ops.Square(yPred - y));
    var grads = tape.Gradient(loss, model.Variables);
    optimizer.ApplyGradients(grads.Zip(model.Variables));
}

Console.WriteLine($"kernel: [{string.Join(", ", model.Variables[0].Numpy())}]");
Console.WriteLine($"bias: [{string.Join(", ", model.Variables[1].Numpy())}]");

internal sealed class Linear : Model
{
    private readonly Dense _dense = new(units: 1, activation: null, kernelInitializer: Initializer.Zeros, biasInitializer: Initializer.Zeros);

    public override Tensor Call(Tensor input, bool training = false) => _dense.Apply(input);
}
