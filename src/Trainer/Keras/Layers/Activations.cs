using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;
using BackendActivation = EdgeNet.Trainer.Backends.Activation;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>Keras activation names: null/"linear", "relu", "sigmoid", "tanh", "softmax".</summary>
public static class Activations
{
    /// <summary>The activation names layers accept.</summary>
    public static readonly string[] Known = ["linear", "relu", "sigmoid", "tanh", "softmax"];

    /// <summary>The activation's canonical name (null is <c>linear</c>).</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static string Normalize(string? name)
    {
        string n = (name ?? "linear").Trim().ToLowerInvariant();
        return Known.Contains(n) ? n : throw new ArgumentException($"unknown activation '{name}'; use one of {string.Join(", ", Known)}");
    }

    /// <summary>The element-wise part the fused kernels apply (softmax is applied after).</summary>
    internal static BackendActivation Fused(string name) => name switch
    {
        "relu" => BackendActivation.Relu,
        "sigmoid" => BackendActivation.Sigmoid,
        "tanh" => BackendActivation.Tanh,
        _ => BackendActivation.Linear,
    };

    internal static Tensor ApplyAfterFused(string name, Tensor y) => name == "softmax" ? Ops.Softmax(y) : y;

    /// <summary>Applies the activation <paramref name="name"/> to <paramref name="x"/>.</summary>
    public static Tensor Apply(string? name, Tensor x) => Normalize(name) switch
    {
        "relu" => Ops.Relu(x),
        "sigmoid" => Ops.Sigmoid(x),
        "tanh" => Ops.Tanh(x),
        "softmax" => Ops.Softmax(x),
        _ => x,
    };
}
