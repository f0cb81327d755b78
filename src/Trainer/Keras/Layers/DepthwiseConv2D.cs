using System.Text.Json.Nodes;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>
/// Depthwise 2-D convolution over NHWC input (tf.keras.layers.DepthwiseConv2D): each input channel is
/// convolved with its own <c>depthMultiplier</c> filters. depthwise_kernel: [kh, kw, in_channels,
/// depth_multiplier]; bias: [in_channels · depth_multiplier]; padding "valid" or "same".
/// </summary>
public sealed class DepthwiseConv2D : Layer
{
    /// <summary>A depthwise convolution with <paramref name="kernelSize"/> windows (tf.keras.layers.DepthwiseConv2D).</summary>
    public DepthwiseConv2D(int[] kernelSize, int[]? strides = null, string padding = "valid", int depthMultiplier = 1, string? activation = null,
        bool useBias = true, Initializer? depthwiseInitializer = null, Initializer? biasInitializer = null, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(kernelSize);
        KernelSize = kernelSize.Length == 1 ? [kernelSize[0], kernelSize[0]] : kernelSize;
        Strides = strides is null ? [1, 1] : strides.Length == 1 ? [strides[0], strides[0]] : strides;
        Padding = padding.ToLowerInvariant() is "same" or "valid" ? padding.ToLowerInvariant() : throw new ArgumentException($"padding must be 'same' or 'valid', not '{padding}'");
        DepthMultiplier = depthMultiplier >= 1 ? depthMultiplier : throw new ArgumentOutOfRangeException(nameof(depthMultiplier), depthMultiplier, "depth_multiplier must be >= 1");
        Activation = Activations.Normalize(activation);
        UseBias = useBias;
        DepthwiseInitializer = depthwiseInitializer ?? Initializer.GlorotUniform;
        BiasInitializer = biasInitializer ?? Initializer.Zeros;
    }

    /// <summary>A square <paramref name="kernelSize"/> × <paramref name="kernelSize"/> depthwise convolution with equal strides.</summary>
    public DepthwiseConv2D(int kernelSize, int strides = 1, string padding = "valid", int depthMultiplier = 1, string? activation = null, bool useBias = true, string? name = null)
        : this([kernelSize, kernelSize], [strides, strides], padding, depthMultiplier, activation, useBias, name: name)
    {
    }

    /// <summary>Kernel height and width.</summary>
    public int[] KernelSize { get; }

    /// <summary>Vertical and horizontal strides.</summary>
    public int[] Strides { get; }

    /// <summary><c>valid</c> or <c>same</c>.</summary>
    public string Padding { get; }

    /// <summary>Output channels per input channel.</summary>
    public int DepthMultiplier { get; }

    /// <summary>The activation's name (<c>linear</c> when none).</summary>
    public string Activation { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>How the depthwise kernel is initialised (Glorot uniform by default).</summary>
    public Initializer DepthwiseInitializer { get; }

    /// <summary>How the bias is initialised (zeros by default).</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The depthwise kernel [kh, kw, in, depth_multiplier], once built.</summary>
    public Variable? Kernel { get; private set; }

    /// <summary>The bias [in · depth_multiplier], once built (null without bias).</summary>
    public Variable? Bias { get; private set; }

    /// <inheritdoc/>
    public override void Build(Shape inputShape)
    {
        if (inputShape.Rank != 4)
        {
            throw new ArgumentException($"DepthwiseConv2D '{Name}' expects input [batch, height, width, channels], got {inputShape}");
        }

        Kernel = AddWeight("depthwise_kernel", [KernelSize[0], KernelSize[1], inputShape[3], DepthMultiplier], DepthwiseInitializer);
        Bias = UseBias ? AddWeight("bias", [inputShape[3] * DepthMultiplier], BiasInitializer) : null;
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false)
    {
        var y = Ops.DepthwiseConv2D(input, Kernel!, Bias?.Value, Strides[0], Strides[1], Padding == "same", Activations.Fused(Activation));
        return Activations.ApplyAfterFused(Activation, y);
    }

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new()
    {
        ["name"] = Name,
        ["kernel_size"] = new JsonArray(KernelSize[0], KernelSize[1]),
        ["strides"] = new JsonArray(Strides[0], Strides[1]),
        ["padding"] = Padding,
        ["depth_multiplier"] = DepthMultiplier,
        ["activation"] = Activation,
        ["use_bias"] = UseBias,
    };

    internal static DepthwiseConv2D FromConfig(JsonObject c) =>
        new(c["kernel_size"]!.AsArray().Select(n => (int)n!).ToArray(), c["strides"]!.AsArray().Select(n => (int)n!).ToArray(),
            (string)c["padding"]!, (int?)c["depth_multiplier"] ?? 1, (string?)c["activation"], (bool?)c["use_bias"] ?? true, name: (string?)c["name"]);
}
