using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;

namespace EdgeNet.Tests.Shared;

/// <summary>Small Keras models with the operators of the families the ONNX importer maps, for the golden, export and import tests.</summary>
internal static class FamilyModels
{
    /// <summary>
    /// MobileNetV3's and EfficientNet's operators: a hard-swish convolution, a squeeze-and-excitation gate (global pooling,
    /// Dense relu, Dense hard sigmoid, reshaped to [N, 1, 1, C]) multiplying the map per channel, a SiLU depthwise
    /// convolution with 72 channels (so the int8 product and lookup run whole 64-byte vectors and a tail), a sigmoid gate of
    /// the map's own shape, tanh, a ReLU that cannot be fused; each activation an operator of its own (int8: a lookup
    /// table), each product a mul.
    /// </summary>
    public static Model SqueezeExcite()
    {
        var input = Input.Create([7, 9, 6]);
        var x = new Conv2D(12, [3, 3], padding: "same", activation: "hard_swish").Apply(input);
        var s = new GlobalAveragePooling2D().Apply(x);
        s = new ReLU().Apply(new Dense(4).Apply(s));   // fused into the dense layer at export
        s = new Dense(12, activation: "hard_sigmoid").Apply(s);
        x = new Multiply().Apply(x, new Reshape([1, 1, 12]).Apply(s));
        x = new Add().Apply(new ReLU().Apply(x), x);   // a ReLU after a product: an operator of its own (int8: a table)
        x = new DepthwiseConv2D([3, 3], [2, 2], "same", depthMultiplier: 6, activation: "silu").Apply(x);
        var gate = new ActivationLayer("sigmoid").Apply(new Conv2D(72, [1, 1]).Apply(x));
        x = new Multiply().Apply(gate, x);
        x = new ActivationLayer("tanh").Apply(x);
        x = new GlobalAveragePooling2D().Apply(x);
        return new Model(input, new Dense(3).Apply(x));
    }

    /// <summary>
    /// SqueezeNet's and ShuffleNetV2's channel moves: two branches of different ranges concatenated (int8: one requantized to
    /// the output's scale first), shuffled in two groups of 16 (the vector interleave, f32 and int8), split 10 | 22, joined
    /// again and shuffled in 2 groups of 8 (int8: the scalar twin) and in 4 groups.
    /// </summary>
    public static Model ChannelMoves()
    {
        var input = Input.Create([6, 7, 5]);
        var a = new Conv2D(16, [1, 1], activation: "relu").Apply(input);
        var b = new Conv2D(16, [3, 3], padding: "same").Apply(input);
        var x = new ChannelShuffle(2).Apply(new Concatenate().Apply(a, b));
        var right = new Conv2D(6, [1, 1]).Apply(new ChannelSlice(10, 22).Apply(x));
        x = new ChannelShuffle(2).Apply(new Concatenate().Apply(new ChannelSlice(0, 10).Apply(x), right));
        x = new ChannelShuffle(4).Apply(x);
        x = new GlobalAveragePooling2D().Apply(x);
        return new Model(input, new Dense(3).Apply(x));
    }
}
