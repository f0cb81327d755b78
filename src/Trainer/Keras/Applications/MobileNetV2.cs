using System.Globalization;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;

namespace EdgeNet.Trainer.Keras.Applications;

/// <summary>
/// Keras' applications (tf.keras.applications): the architectures with their Keras layer names and
/// parameter counts, built from EdgeNet's layers so they train, export and run on the board like any
/// model. Nothing is downloaded: weights come from a file saved by EdgeNet, or are initialized.
/// </summary>
public static class Applications
{
    /// <summary>
    /// MobileNetV2 as tf.keras.applications.MobileNetV2 builds it: a 3×3 stride-2 stem, 17 inverted residual
    /// blocks (1×1 expansion, 3×3 depthwise, 1×1 linear projection, each with BatchNormalization(epsilon 1e-3,
    /// momentum <paramref name="bnMomentum"/>) and ReLU(6); a residual Add where the shape allows; ZeroPadding2D
    /// before the stride-2 depthwise convolutions), a 1×1 convolution to 1280 channels and, with
    /// <paramref name="includeTop"/>, global average pooling and the <c>predictions</c> Dense layer. Channel
    /// counts are scaled by <paramref name="alpha"/> and rounded by Keras' <c>_make_divisible</c>; at 224×224×3,
    /// α 1.0 and 1,000 classes it has 3,538,984 parameters (3,504,872 trainable).
    /// </summary>
    /// <param name="inputShape">[height, width, channels]; [224, 224, 3] when null.</param>
    /// <param name="alpha">Width multiplier (Keras: 0.35, 0.5, 0.75, 1.0, 1.3, 1.4; any positive value without pretrained weights).</param>
    /// <param name="includeTop">Whether the classifier (pooling and the Dense layer) is included.</param>
    /// <param name="weights">Null (initialized) or the path of weights saved by EdgeNet (<c>Model.Save</c>/<c>SaveWeights</c>); "imagenet" is refused: nothing is downloaded at run time.</param>
    /// <param name="classes">Output classes of the top.</param>
    /// <param name="pooling">Without the top: null (the 4-D feature map), "avg" or "max" (global pooling to [N, C]).</param>
    /// <param name="classifierActivation">The top's activation: "softmax" (Keras' default) or null/"linear" for logits.</param>
    /// <param name="bnMomentum">BatchNormalization momentum; Keras' MobileNetV2 uses 0.999.</param>
    public static Model MobileNetV2(int[]? inputShape = null, double alpha = 1.0, bool includeTop = true, string? weights = null, int classes = 1000,
        string? pooling = null, string? classifierActivation = "softmax", float bnMomentum = 0.999f)
    {
        int[] shape = inputShape ?? [224, 224, 3];
        if (shape.Length != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1)
        {
            throw new ArgumentException($"MobileNetV2 takes an input shape [height, width, channels]; got [{string.Join(", ", shape)}]", nameof(inputShape));
        }

        if (weights == "imagenet")
        {
            throw new ArgumentException("MobileNetV2(weights: \"imagenet\") would download Keras' ImageNet weights, and EdgeNet downloads nothing at run time: pass weights: null to train from scratch, or the path of weights saved by EdgeNet (Model.Save / SaveWeights)", nameof(weights));
        }

        if (weights is not null && !File.Exists(weights))
        {
            throw new FileNotFoundException($"MobileNetV2 weights '{weights}' not found: pass null to initialize, or the path of a file saved by EdgeNet", weights);
        }

        if (!(alpha > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be > 0");
        }

        if (includeTop && classes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "classes must be >= 1 with the top included");
        }

        if (pooling is not (null or "avg" or "max"))
        {
            throw new ArgumentException($"pooling must be null, \"avg\" or \"max\"; got \"{pooling}\"", nameof(pooling));
        }

        var input = Input.Create(shape, "input_1");
        int first = MakeDivisible(32 * alpha, 8);
        var x = new Conv2D(first, [3, 3], [2, 2], "same", useBias: false, name: "Conv1").Apply(input);
        x = Bn("bn_Conv1", bnMomentum).Apply(x);
        x = new ReLU(6f, "Conv1_relu").Apply(x);

        (int Filters, int Stride, int Expansion)[] blocks =
        [
            (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
            (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6),
        ];
        for (int i = 0; i < blocks.Length; i++)
        {
            x = InvertedResidual(x, blocks[i].Expansion, blocks[i].Stride, alpha, blocks[i].Filters, i, bnMomentum);
        }

        // No alpha on the last convolution below 1.0, as the paper states.
        int last = alpha > 1.0 ? MakeDivisible(1280 * alpha, 8) : 1280;
        x = new Conv2D(last, [1, 1], useBias: false, name: "Conv_1").Apply(x);
        x = Bn("Conv_1_bn", bnMomentum).Apply(x);
        x = new ReLU(6f, "out_relu").Apply(x);
        if (includeTop)
        {
            x = new GlobalAveragePooling2D("global_average_pooling2d").Apply(x);
            x = new Dense(classes, activation: classifierActivation, name: "predictions").Apply(x);
        }
        else if (pooling == "avg")
        {
            x = new GlobalAveragePooling2D("global_average_pooling2d").Apply(x);
        }
        else if (pooling == "max")
        {
            x = new GlobalMaxPooling2D("global_max_pooling2d").Apply(x);
        }

        var model = new Model(input, x, string.Create(CultureInfo.InvariantCulture, $"mobilenetv2_{alpha:0.00}_{shape[0]}"));
        if (weights is not null)
        {
            model.LoadWeights(weights);
        }

        return model;
    }

    /// <summary>Keras' mobilenet_v2.preprocess_input: pixels in [0, 255] to [−1, 1] (x / 127.5 − 1), as (scale, offset).</summary>
    public static (float Scale, float Offset) MobileNetV2Preprocessing => (1f / 127.5f, -1f);

    /// <summary>Keras' <c>_make_divisible</c>: the nearest multiple of <paramref name="divisor"/> (at least the divisor) that is no more than 10% below <paramref name="v"/>.</summary>
    public static int MakeDivisible(double v, int divisor)
    {
        int n = Math.Max(divisor, (int)(v + (divisor / 2.0)) / divisor * divisor);
        return n < 0.9 * v ? n + divisor : n;
    }

    /// <summary>Keras' <c>imagenet_utils.correct_pad</c>: the ZeroPadding2D ((top, bottom), (left, right)) before a stride-2 <paramref name="kernel"/>×<paramref name="kernel"/> 'valid' convolution.</summary>
    public static (int Top, int Bottom, int Left, int Right) CorrectPad(int height, int width, int kernel)
    {
        int ah = 1 - (height % 2), aw = 1 - (width % 2), k = kernel / 2;
        return (k - ah, k, k - aw, k);
    }

    private static BatchNormalization Bn(string name, float momentum) => new(momentum, 1e-3f, name: name);

    private static KerasTensor InvertedResidual(KerasTensor input, int expansion, int stride, double alpha, int filters, int blockId, float bnMomentum)
    {
        int inChannels = input.SampleShape[2];
        int pointwise = MakeDivisible((int)(filters * alpha), 8);
        string prefix = blockId == 0 ? "expanded_conv_" : $"block_{blockId}_";
        var x = input;
        if (blockId != 0)
        {
            x = new Conv2D(expansion * inChannels, [1, 1], padding: "same", useBias: false, name: prefix + "expand").Apply(x);
            x = Bn(prefix + "expand_BN", bnMomentum).Apply(x);
            x = new ReLU(6f, prefix + "expand_relu").Apply(x);
        }

        if (stride == 2)
        {
            var (t, b, l, r) = CorrectPad(x.SampleShape[0], x.SampleShape[1], 3);
            x = new ZeroPadding2D(t, b, l, r, prefix + "pad").Apply(x);
        }

        x = new DepthwiseConv2D([3, 3], [stride, stride], stride == 1 ? "same" : "valid", useBias: false, name: prefix + "depthwise").Apply(x);
        x = Bn(prefix + "depthwise_BN", bnMomentum).Apply(x);
        x = new ReLU(6f, prefix + "depthwise_relu").Apply(x);
        x = new Conv2D(pointwise, [1, 1], padding: "same", useBias: false, name: prefix + "project").Apply(x);
        x = Bn(prefix + "project_BN", bnMomentum).Apply(x);
        return inChannels == pointwise && stride == 1 ? new Add(prefix + "add").Apply(input, x) : x;
    }
}
