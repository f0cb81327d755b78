using System.Text.Json.Nodes;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>
/// The rectified linear unit as a layer (tf.keras.layers.ReLU): max(x, 0), capped at <see cref="MaxValue"/>
/// when one is given (MobileNet's <c>ReLU(6.0)</c>). Keras' negative_slope and threshold are not supported
/// (they must be 0).
/// </summary>
public sealed class ReLU : Layer
{
    /// <summary>max(x, 0), or min(max(x, 0), <paramref name="maxValue"/>) (only 6 is supported, ReLU6).</summary>
    public ReLU(float? maxValue = null, string? name = null)
        : base(name)
    {
        if (maxValue is { } m && m != 6f)
        {
            throw new ArgumentOutOfRangeException(nameof(maxValue), maxValue, "ReLU supports max_value 6 (ReLU6) or none; other caps have no kernel");
        }

        MaxValue = maxValue;
    }

    /// <summary>The cap (6) or null for the plain ReLU.</summary>
    public float? MaxValue { get; }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) => MaxValue is null ? Ops.Relu(input) : Ops.Relu6(input);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new() { ["name"] = Name, ["max_value"] = MaxValue };

    internal static ReLU FromConfig(JsonObject c) => new((float?)c["max_value"], (string?)c["name"]);
}
