using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Rl;

/// <summary>Builds the DQN's Q-network the Keras way: a Sequential MLP from observations to one Q-value per action.</summary>
public static class QNetwork
{
    /// <summary>
    /// Sequential([Dense(h, relu) for h in hidden] + [Dense(actions)]) named "dqn", built for
    /// [batch, observationSize] inputs and initialized from <paramref name="rng"/> with each layer's
    /// initializer (Glorot uniform kernels, zero biases), so the weights depend on the seed only.
    /// </summary>
    public static Sequential Create(int observationSize, int actions, IReadOnlyList<int> hidden, Random rng)
    {
        var layers = new List<Layer>();
        foreach (int h in hidden)
        {
            layers.Add(new Dense(h, activation: "relu"));   // [batch, h]
        }

        layers.Add(new Dense(actions));                      // [batch, actions]
        var model = new Sequential(layers, name: "dqn");
        using (TensorScope.Begin())
        {
            GradientTape.NoRecord(() => model.Apply(Tensor.Zeros(new Shape(1, observationSize))));
        }

        foreach (var d in layers.Cast<Dense>())
        {
            d.Kernel!.Assign(d.KernelInitializer.Generate(d.Kernel.Shape, rng));
            d.Bias?.Assign(d.BiasInitializer.Generate(d.Bias.Shape, rng));
        }

        return model;
    }
}
