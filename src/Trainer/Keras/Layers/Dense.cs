using System.Text.Json.Nodes;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>
/// Fully connected layer (tf.keras.layers.Dense): y = activation(x·kernel + bias) over the last axis.
/// kernel: [input_dim, units]; bias: [units].
/// </summary>
public sealed class Dense : Layer
{
    /// <summary>A fully connected layer of <paramref name="units"/> outputs, y = activation(x · kernel + bias) over the last axis (tf.keras.layers.Dense).</summary>
    public Dense(int units, string? activation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? biasInitializer = null, string? name = null)
        : base(name)
    {
        if (units < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(units), units, "Dense needs at least one unit");
        }

        Units = units;
        Activation = Activations.Normalize(activation);
        UseBias = useBias;
        KernelInitializer = kernelInitializer ?? Initializer.GlorotUniform;
        BiasInitializer = biasInitializer ?? Initializer.Zeros;
    }

    /// <summary>Output size.</summary>
    public int Units { get; }

    /// <summary>The activation's name (<c>linear</c> when none).</summary>
    public string Activation { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>How the kernel is initialised (Glorot uniform by default).</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>How the bias is initialised (zeros by default).</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The kernel [in, units], once built.</summary>
    public Variable? Kernel { get; private set; }

    /// <summary>The bias [units], once built (null without bias).</summary>
    public Variable? Bias { get; private set; }

    /// <inheritdoc/>
    public override void Build(Shape inputShape)
    {
        Kernel = AddWeight("kernel", [inputShape.Last, Units], KernelInitializer);
        Bias = UseBias ? AddWeight("bias", [Units], BiasInitializer) : null;
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false)
    {
        var y = Ops.Dense(input, Kernel!, Bias?.Value, Activations.Fused(Activation));
        return Activations.ApplyAfterFused(Activation, y);
    }

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new()
    {
        ["name"] = Name,
        ["units"] = Units,
        ["activation"] = Activation,
        ["use_bias"] = UseBias,
    };

    internal static Dense FromConfig(JsonObject c) =>
        new((int)c["units"]!, (string?)c["activation"], (bool?)c["use_bias"] ?? true, name: (string?)c["name"]);
}
