using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;
using BackendActivation = EdgeNet.Trainer.Backends.Activation;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>
/// Keras activation names: null/"linear", "relu", "sigmoid", "tanh", "softmax", "hard_sigmoid" (Keras 3's: relu6(x + 3) / 6),
/// "hard_swish" (Keras 3's hard_silu), "silu" (swish).
/// </summary>
public static class Activations
{
    /// <summary>The activation names layers accept.</summary>
    public static readonly string[] Known = ["linear", "relu", "sigmoid", "tanh", "softmax", "hard_sigmoid", "hard_swish", "silu"];

    /// <summary>Other names Keras gives the same activations.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal) { ["hard_silu"] = "hard_swish", ["swish"] = "silu" };

    /// <summary>The activation's canonical name (null is <c>linear</c>).</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static string Normalize(string? name)
    {
        string n = (name ?? "linear").Trim().ToLowerInvariant();
        n = Aliases.GetValueOrDefault(n, n);
        return Known.Contains(n) ? n : throw new ArgumentException($"unknown activation '{name}'; use one of {string.Join(", ", Known)} (or hard_silu, swish)");
    }

    /// <summary>The element-wise part the fused kernels apply (softmax is applied after).</summary>
    internal static BackendActivation Fused(string name) => name switch
    {
        "relu" => BackendActivation.Relu,
        "sigmoid" => BackendActivation.Sigmoid,
        "tanh" => BackendActivation.Tanh,
        _ => BackendActivation.Linear,
    };

    /// <summary>What a layer applies after its fused kernel: softmax, and the activations that are operators of their own.</summary>
    internal static Tensor ApplyAfterFused(string name, Tensor y) => name switch
    {
        "softmax" => Ops.Softmax(y),
        "hard_sigmoid" => Ops.HardSigmoid(y),
        "hard_swish" => Ops.HardSwish(y),
        "silu" => Ops.Silu(y),
        _ => y,
    };

    /// <summary>Applies the activation <paramref name="name"/> to <paramref name="x"/>.</summary>
    public static Tensor Apply(string? name, Tensor x) => Normalize(name) switch
    {
        "relu" => Ops.Relu(x),
        "sigmoid" => Ops.Sigmoid(x),
        "tanh" => Ops.Tanh(x),
        "softmax" => Ops.Softmax(x),
        "hard_sigmoid" => Ops.HardSigmoid(x),
        "hard_swish" => Ops.HardSwish(x),
        "silu" => Ops.Silu(x),
        _ => x,
    };
}
