using System.Text.Json.Nodes;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>Max pooling over NHWC windows (tf.keras.layers.MaxPool2D). Strides default to the pool size.</summary>
public sealed class MaxPool2D : Layer
{
    /// <summary>Max pooling over windows of <paramref name="poolSize"/> (2×2 by default) moved by <paramref name="strides"/> (the pool size by default), NHWC.</summary>
    public MaxPool2D(int[]? poolSize = null, int[]? strides = null, string padding = "valid", string? name = null)
        : base(name)
    {
        PoolSize = poolSize is null ? [2, 2] : poolSize.Length == 1 ? [poolSize[0], poolSize[0]] : poolSize;
        Strides = strides is null ? PoolSize : strides.Length == 1 ? [strides[0], strides[0]] : strides;
        Padding = padding.ToLowerInvariant() is "same" or "valid" ? padding.ToLowerInvariant() : throw new ArgumentException($"padding must be 'same' or 'valid', not '{padding}'");
    }

    /// <summary>Square pooling windows with equal strides.</summary>
    public MaxPool2D(int poolSize, int strides, string padding = "valid", string? name = null)
        : this([poolSize, poolSize], [strides, strides], padding, name)
    {
    }

    /// <summary>Window height and width.</summary>
    public int[] PoolSize { get; }

    /// <summary>Vertical and horizontal strides.</summary>
    public int[] Strides { get; }

    /// <summary><c>valid</c> or <c>same</c>.</summary>
    public string Padding { get; }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) =>
        Ops.MaxPool2D(input, PoolSize[0], PoolSize[1], Strides[0], Strides[1], Padding == "same");

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new()
    {
        ["name"] = Name,
        ["pool_size"] = new JsonArray(PoolSize[0], PoolSize[1]),
        ["strides"] = new JsonArray(Strides[0], Strides[1]),
        ["padding"] = Padding,
    };

    internal static MaxPool2D FromConfig(JsonObject c) =>
        new(c["pool_size"]!.AsArray().Select(n => (int)n!).ToArray(), c["strides"]!.AsArray().Select(n => (int)n!).ToArray(), (string)c["padding"]!, (string?)c["name"]);
}

/// <summary>Average pooling over NHWC windows (tf.keras.layers.AveragePooling2D; 'same' padding is not counted). Strides default to the pool size.</summary>
public sealed class AveragePooling2D : Layer
{
    /// <summary>Average pooling over windows of <paramref name="poolSize"/> (2×2 by default) moved by <paramref name="strides"/> (the pool size by default), NHWC.</summary>
    public AveragePooling2D(int[]? poolSize = null, int[]? strides = null, string padding = "valid", string? name = null)
        : base(name)
    {
        PoolSize = poolSize is null ? [2, 2] : poolSize.Length == 1 ? [poolSize[0], poolSize[0]] : poolSize;
        Strides = strides is null ? PoolSize : strides.Length == 1 ? [strides[0], strides[0]] : strides;
        Padding = padding.ToLowerInvariant() is "same" or "valid" ? padding.ToLowerInvariant() : throw new ArgumentException($"padding must be 'same' or 'valid', not '{padding}'");
    }

    /// <summary>Window height and width.</summary>
    public int[] PoolSize { get; }

    /// <summary>Vertical and horizontal strides.</summary>
    public int[] Strides { get; }

    /// <summary><c>valid</c> or <c>same</c>.</summary>
    public string Padding { get; }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) =>
        Ops.AvgPool2D(input, PoolSize[0], PoolSize[1], Strides[0], Strides[1], Padding == "same");

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new()
    {
        ["name"] = Name,
        ["pool_size"] = new JsonArray(PoolSize[0], PoolSize[1]),
        ["strides"] = new JsonArray(Strides[0], Strides[1]),
        ["padding"] = Padding,
    };

    internal static AveragePooling2D FromConfig(JsonObject c) =>
        new(c["pool_size"]!.AsArray().Select(n => (int)n!).ToArray(), c["strides"]!.AsArray().Select(n => (int)n!).ToArray(), (string)c["padding"]!, (string?)c["name"]);
}

/// <summary>The mean over height and width (tf.keras.layers.GlobalAveragePooling2D): [B, H, W, C] → [B, C].</summary>
public sealed class GlobalAveragePooling2D(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) => Ops.GlobalAvgPool2D(input);

    internal static GlobalAveragePooling2D FromConfig(JsonObject c) => new((string?)c["name"]);
}

/// <summary>The maximum over height and width (tf.keras.layers.GlobalMaxPooling2D): [B, H, W, C] → [B, C] (a whole-image max pool, then a reshape).</summary>
public sealed class GlobalMaxPooling2D(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false)
    {
        if (input.Rank != 4)
        {
            throw new ArgumentException($"GlobalMaxPooling2D '{Name}' expects [batch, height, width, channels], got {input.Shape}");
        }

        var y = Ops.MaxPool2D(input, input.Shape[1], input.Shape[2], 1, 1, samePadding: false);
        return Ops.Reshape(y, input.Shape[0], input.Shape[3]);
    }

    internal static GlobalMaxPooling2D FromConfig(JsonObject c) => new((string?)c["name"]);
}
