using System.Text.Json.Nodes;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>
/// 2-D convolution over NHWC input (tf.keras.layers.Conv2D). kernel: [kh, kw, in_channels, filters];
/// bias: [filters]; padding "valid" or "same".
/// </summary>
public sealed class Conv2D : Layer
{
    /// <summary>A 2-D convolution over NHWC images with <paramref name="filters"/> output channels (tf.keras.layers.Conv2D): <paramref name="padding"/> <c>valid</c> or <c>same</c>, an optional <paramref name="activation"/>.</summary>
    public Conv2D(int filters, int[] kernelSize, int[]? strides = null, string padding = "valid", string? activation = null,
        bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(kernelSize);
        Filters = filters;
        KernelSize = kernelSize.Length == 1 ? [kernelSize[0], kernelSize[0]] : kernelSize;
        Strides = strides is null ? [1, 1] : strides.Length == 1 ? [strides[0], strides[0]] : strides;
        Padding = padding.ToLowerInvariant() is "same" or "valid" ? padding.ToLowerInvariant() : throw new ArgumentException($"padding must be 'same' or 'valid', not '{padding}'");
        Activation = Activations.Normalize(activation);
        UseBias = useBias;
        KernelInitializer = kernelInitializer ?? Initializer.GlorotUniform;
        BiasInitializer = biasInitializer ?? Initializer.Zeros;
    }

    /// <summary>A square <paramref name="kernelSize"/> × <paramref name="kernelSize"/> convolution with equal strides.</summary>
    public Conv2D(int filters, int kernelSize, int strides = 1, string padding = "valid", string? activation = null, string? name = null)
        : this(filters, [kernelSize, kernelSize], [strides, strides], padding, activation, name: name)
    {
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>Kernel height and width.</summary>
    public int[] KernelSize { get; }

    /// <summary>Vertical and horizontal strides.</summary>
    public int[] Strides { get; }

    /// <summary><c>valid</c> or <c>same</c>.</summary>
    public string Padding { get; }

    /// <summary>The activation's name (<c>linear</c> when none).</summary>
    public string Activation { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>How the kernel is initialised (Glorot uniform by default).</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>How the bias is initialised (zeros by default).</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The kernel [kh, kw, in, filters], once built.</summary>
    public Variable? Kernel { get; private set; }

    /// <summary>The bias [filters], once built (null without bias).</summary>
    public Variable? Bias { get; private set; }

    /// <inheritdoc/>
    public override void Build(Shape inputShape)
    {
        if (inputShape.Rank != 4)
        {
            throw new ArgumentException($"Conv2D '{Name}' expects input [batch, height, width, channels], got {inputShape}; add a channel axis (e.g. Reshape([28, 28, 1]))");
        }

        Kernel = AddWeight("kernel", [KernelSize[0], KernelSize[1], inputShape[3], Filters], KernelInitializer);
        Bias = UseBias ? AddWeight("bias", [Filters], BiasInitializer) : null;
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false)
    {
        var y = Ops.Conv2D(input, Kernel!, Bias?.Value, Strides[0], Strides[1], Padding == "same", Activations.Fused(Activation));
        return Activations.ApplyAfterFused(Activation, y);
    }

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new()
    {
        ["name"] = Name,
        ["filters"] = Filters,
        ["kernel_size"] = new JsonArray(KernelSize[0], KernelSize[1]),
        ["strides"] = new JsonArray(Strides[0], Strides[1]),
        ["padding"] = Padding,
        ["activation"] = Activation,
        ["use_bias"] = UseBias,
    };

    internal static Conv2D FromConfig(JsonObject c) =>
        new((int)c["filters"]!, c["kernel_size"]!.AsArray().Select(n => (int)n!).ToArray(), c["strides"]!.AsArray().Select(n => (int)n!).ToArray(),
            (string)c["padding"]!, (string?)c["activation"], (bool?)c["use_bias"] ?? true, name: (string?)c["name"]);
}
