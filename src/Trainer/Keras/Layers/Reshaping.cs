using System.Text.Json.Nodes;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>Flattens all but the batch axis (tf.keras.layers.Flatten): [B, ...] → [B, prod(...)].</summary>
public sealed class Flatten(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) => Ops.Reshape(input, input.Shape[0], -1);

    internal static Flatten FromConfig(JsonObject c) => new((string?)c["name"]);
}

/// <summary>Reshapes each sample (tf.keras.layers.Reshape): [B, ...] → [B, targetShape...].</summary>
public sealed class Reshape : Layer
{
    /// <summary>Reshapes each sample to <paramref name="targetShape"/> (tf.keras.layers.Reshape; the batch axis is kept).</summary>
    public Reshape(int[] targetShape, string? name = null)
        : base(name)
    {
        TargetShape = targetShape;
    }

    /// <summary>The sample shape produced.</summary>
    public int[] TargetShape { get; }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) => Ops.Reshape(input, [input.Shape[0], .. TargetShape]);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new() { ["name"] = Name, ["target_shape"] = new JsonArray(TargetShape.Select(d => (JsonNode)d).ToArray()) };

    internal static Reshape FromConfig(JsonObject c) => new(c["target_shape"]!.AsArray().Select(n => (int)n!).ToArray(), (string?)c["name"]);
}

/// <summary>Softmax over the last axis (tf.keras.layers.Softmax).</summary>
public sealed class Softmax(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) => Ops.Softmax(input);

    internal static Softmax FromConfig(JsonObject c) => new((string?)c["name"]);
}

/// <summary>An activation as a layer (tf.keras.layers.Activation).</summary>
public sealed class ActivationLayer : Layer
{
    /// <summary>Applies the activation <paramref name="activation"/> (tf.keras.layers.Activation).</summary>
    public ActivationLayer(string activation, string? name = null)
        : base(name)
    {
        Activation = Activations.Normalize(activation);
    }

    /// <summary>The activation's name.</summary>
    public string Activation { get; }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) => Activations.Apply(Activation, input);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new() { ["name"] = Name, ["activation"] = Activation };

    internal static ActivationLayer FromConfig(JsonObject c) => new((string)c["activation"]!, (string?)c["name"]);
}

/// <summary>Inverted dropout while training; identity at inference (tf.keras.layers.Dropout).</summary>
public sealed class Dropout : Layer
{
    /// <summary>Zeroes a share <paramref name="rate"/> of the values while training and scales the rest by 1/(1 − rate); the identity otherwise.</summary>
    public Dropout(float rate, string? name = null)
        : base(name)
    {
        Rate = rate is >= 0 and < 1 ? rate : throw new ArgumentOutOfRangeException(nameof(rate), rate, "rate must be in [0, 1)");
    }

    /// <summary>The share of values dropped while training.</summary>
    public float Rate { get; }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) =>
        training && Rate > 0 ? Ops.Dropout(input, Rate, KerasBackend.NextSeed()) : input;

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new() { ["name"] = Name, ["rate"] = Rate };

    internal static Dropout FromConfig(JsonObject c) => new((float)c["rate"]!, (string?)c["name"]);
}

/// <summary>One-hot encodes integer ids (as tf.one_hot in the chapter's char model): [B, T] → [B, T, depth].</summary>
public sealed class OneHot : Layer
{
    /// <summary>One-hot encodes token ids into <paramref name="depth"/> values.</summary>
    public OneHot(int depth, string? name = null)
        : base(name)
    {
        Depth = depth;
    }

    /// <summary>The number of classes.</summary>
    public int Depth { get; }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) => Ops.OneHot(input, Depth);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new() { ["name"] = Name, ["depth"] = Depth };

    internal static OneHot FromConfig(JsonObject c) => new((int)c["depth"]!, (string?)c["name"]);
}

/// <summary>Concatenates its inputs along the last axis (tf.keras.layers.Concatenate).</summary>
public sealed class Concatenate(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    public override Tensor Call(IReadOnlyList<Tensor> inputs, bool training = false) => Ops.Concat(inputs, -1);

    /// <summary>One input: returned as it is.</summary>
    public override Tensor Call(Tensor input, bool training = false) => input;

    internal static Concatenate FromConfig(JsonObject c) => new((string?)c["name"]);
}

/// <summary>
/// Channels [begin, begin + size) of the last axis (what Keras writes as a Lambda over tf.split; ShuffleNet's channel
/// split, an imported ONNX Split or Slice over the channels).
/// </summary>
public sealed class ChannelSlice(int begin, int size, string? name = null) : Layer(name)
{
    /// <summary>The first channel taken.</summary>
    public int Begin { get; } = begin >= 0 ? begin : throw new ArgumentOutOfRangeException(nameof(begin), begin, "the first channel must be >= 0");

    /// <summary>The number of channels taken.</summary>
    public int Size { get; } = size >= 1 ? size : throw new ArgumentOutOfRangeException(nameof(size), size, "a channel slice takes at least one channel");

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) => Ops.ChannelSlice(input, Begin, Size);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new() { ["name"] = Name, ["begin"] = Begin, ["size"] = Size };

    internal static ChannelSlice FromConfig(JsonObject c) => new((int)c["begin"]!, (int)c["size"]!, (string?)c["name"]);
}

/// <summary>ShuffleNet's channel shuffle: the channels of <c>groups</c> groups interleaved (y[…, k·g + i] = x[…, i·C/g + k]).</summary>
public sealed class ChannelShuffle(int groups, string? name = null) : Layer(name)
{
    /// <summary>The number of channel groups.</summary>
    public int Groups { get; } = groups >= 1 ? groups : throw new ArgumentOutOfRangeException(nameof(groups), groups, "a channel shuffle needs at least one group");

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) => Ops.ChannelShuffle(input, Groups);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new() { ["name"] = Name, ["groups"] = Groups };

    internal static ChannelShuffle FromConfig(JsonObject c) => new((int)c["groups"]!, (string?)c["name"]);
}

/// <summary>Adds its inputs element-wise (tf.keras.layers.Add): the residual connection of MobileNetV2 and ResNet.</summary>
public sealed class Add(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    public override Tensor Call(IReadOnlyList<Tensor> inputs, bool training = false)
    {
        for (int i = 1; i < inputs.Count; i++)
        {
            if (!inputs[i].Shape.Equals(inputs[0].Shape))
            {
                throw new ArgumentException($"Add '{Name}' needs inputs of one shape; input 0 is {inputs[0].Shape}, input {i} is {inputs[i].Shape}");
            }
        }

        return inputs.Skip(1).Aggregate(inputs[0], Ops.Add);
    }

    /// <summary>One input: returned as it is.</summary>
    public override Tensor Call(Tensor input, bool training = false) => input;

    internal static Add FromConfig(JsonObject c) => new((string?)c["name"]);
}

/// <summary>
/// Element-wise product of its inputs (tf.keras.layers.Multiply), with NumPy broadcasting: a [B, 1, 1, C] gate scales a
/// [B, H, W, C] feature map per image and channel (MobileNetV3's and EfficientNet's squeeze-and-excitation).
/// </summary>
public sealed class Multiply(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    public override Tensor Call(IReadOnlyList<Tensor> inputs, bool training = false)
    {
        if (inputs.Count < 2)
        {
            throw new ArgumentException($"Multiply '{Name}' needs at least two inputs; got {inputs.Count}");
        }

        return inputs.Skip(1).Aggregate(inputs[0], Ops.Mul);
    }

    /// <summary>One input: returned as it is.</summary>
    public override Tensor Call(Tensor input, bool training = false) => input;

    internal static Multiply FromConfig(JsonObject c) => new((string?)c["name"]);
}

/// <summary>Zeros around each image (tf.keras.layers.ZeroPadding2D): [B, H, W, C] → [B, H + top + bottom, W + left + right, C].</summary>
public sealed class ZeroPadding2D : Layer
{
    /// <summary>Pads <paramref name="top"/>, <paramref name="bottom"/> rows and <paramref name="left"/>, <paramref name="right"/> columns of zeros (Keras' ((top, bottom), (left, right))).</summary>
    public ZeroPadding2D(int top, int bottom, int left, int right, string? name = null)
        : base(name)
    {
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(top), $"ZeroPadding2D paddings must be >= 0; got (({top}, {bottom}), ({left}, {right}))");
        }

        Padding = [top, bottom, left, right];
    }

    /// <summary>The same padding on every side (Keras' ZeroPadding2D(padding=p)).</summary>
    public ZeroPadding2D(int padding = 1, string? name = null)
        : this(padding, padding, padding, padding, name)
    {
    }

    /// <summary>[top, bottom, left, right].</summary>
    public int[] Padding { get; }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) => Ops.ZeroPad2D(input, Padding[0], Padding[1], Padding[2], Padding[3]);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new()
    {
        ["name"] = Name,
        ["padding"] = new JsonArray(new JsonArray(Padding[0], Padding[1]), new JsonArray(Padding[2], Padding[3])),
    };

    internal static ZeroPadding2D FromConfig(JsonObject c)
    {
        var p = c["padding"]!.AsArray();
        return new((int)p[0]![0]!, (int)p[0]![1]!, (int)p[1]![0]!, (int)p[1]![1]!, (string?)c["name"]);
    }
}
