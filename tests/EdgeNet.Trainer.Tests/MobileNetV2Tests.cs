using EdgeNet.Trainer.Keras.Applications;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;

namespace EdgeNet.Trainer.Tests;

/// <summary>Applications.MobileNetV2 against Keras' published architecture: parameter counts, layer names, the refusals.</summary>
[TestClass]
public sealed class MobileNetV2Tests
{
    [TestMethod]
    public void Parameter_counts_are_keras_published_ones()
    {
        // Keras' documented figures for MobileNetV2 at 224x224x3, alpha 1.0: 3,538,984 parameters with the
        // 1,000-class top (3,504,872 trainable; the 34,112 others are the BN moving statistics), 2,257,984 without.
        var m = Applications.MobileNetV2();
        Assert.AreEqual(3_538_984, m.CountParams());
        Assert.AreEqual(3_504_872, m.TrainableVariables.Sum(v => v.Shape.Size));
        var body = Applications.MobileNetV2(includeTop: false);
        Assert.AreEqual(2_257_984, body.CountParams());
        StringAssert.Contains(m.Summary(), "Non-trainable params: 34,112");
    }

    [TestMethod]
    public void Layer_names_and_shapes_follow_keras()
    {
        var m = Applications.MobileNetV2([96, 96, 3], alpha: 0.35, classes: 10);
        Assert.AreEqual("mobilenetv2_0.35_96", m.Name);
        var names = m.Layers.Select(l => l.Name).ToList();
        // Keras' MobileNetV2 has 156 entries in model.layers, the InputLayer among them.
        Assert.HasCount(155, names);
        CollectionAssert.AreEqual(new[] { "Conv1", "bn_Conv1", "Conv1_relu", "expanded_conv_depthwise", "expanded_conv_depthwise_BN", "expanded_conv_depthwise_relu",
            "expanded_conv_project", "expanded_conv_project_BN", "block_1_expand", "block_1_expand_BN", "block_1_expand_relu", "block_1_pad", "block_1_depthwise" },
            names.Take(13).ToArray());
        CollectionAssert.AreEqual(new[] { "block_16_project_BN", "Conv_1", "Conv_1_bn", "out_relu", "global_average_pooling2d", "predictions" }, names.TakeLast(6).ToArray());
        // Residual adds where the block keeps its shape (Keras: blocks 2, 4, 5, 7, 8, 9, 11, 12, 14, 15).
        CollectionAssert.AreEqual(new[] { 2, 4, 5, 7, 8, 9, 11, 12, 14, 15 }, names.Where(n => n.EndsWith("_add", StringComparison.Ordinal)).Select(n => int.Parse(n.Split('_')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        // alpha 0.35: _make_divisible(32 * 0.35, 8) = 16 stem filters, (int)(16 * 0.35) = 5 -> 8, the last conv stays 1280.
        Assert.AreEqual(16, ((Conv2D)m.Layers[0]).Filters);
        Assert.AreEqual(8, ((Conv2D)m.Layers.First(l => l.Name == "expanded_conv_project")).Filters);
        Assert.AreEqual(1280, ((Conv2D)m.Layers.First(l => l.Name == "Conv_1")).Filters);
        var pad = (ZeroPadding2D)m.Layers.First(l => l.Name == "block_1_pad");
        CollectionAssert.AreEqual(new[] { 0, 1, 0, 1 }, pad.Padding, "correct_pad on an even 48x48 map: ((0, 1), (0, 1))");
        var summary = m.Summary();
        StringAssert.Contains(summary, "block_2_add (Add)");
        StringAssert.Contains(summary, "['block_1_project_BN[0][0]', 'block_2_project_BN[0][0]']");
        StringAssert.Contains(summary, "(None, 3, 3, 1280)");
    }

    [TestMethod]
    public void Make_divisible_and_correct_pad_match_keras()
    {
        // Values from Keras' _make_divisible (python): 32*0.35=11.2 -> 16 (8 would be >10% below), 24*0.5 -> 16, 1280*1.4 -> 1792, 96*0.75=72 -> 72.
        Assert.AreEqual(16, Applications.MakeDivisible(32 * 0.35, 8));
        Assert.AreEqual(16, Applications.MakeDivisible(12, 8));
        Assert.AreEqual(1792, Applications.MakeDivisible(1280 * 1.4, 8));
        Assert.AreEqual(72, Applications.MakeDivisible(72, 8));
        Assert.AreEqual(16, Applications.MakeDivisible(9.5, 8), "8 would be 16% below 9.5: one divisor more");
        Assert.AreEqual((1, 1, 1, 1), Applications.CorrectPad(7, 7, 3), "odd input: one on each side");
        Assert.AreEqual((0, 1, 0, 1), Applications.CorrectPad(112, 112, 3), "even input: the extra row and column at the bottom right");
    }

    [TestMethod]
    public void Imagenet_weights_are_refused_with_the_reason_and_saved_weights_load()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => Applications.MobileNetV2(weights: "imagenet"));
        StringAssert.Contains(e.Message, "downloads nothing at run time");
        var m = Applications.MobileNetV2([32, 32, 3], alpha: 0.35, classes: 3);
        string path = Path.Combine(Path.GetTempPath(), $"mnv2-{Guid.NewGuid():N}.keras.enb");
        try
        {
            m.SaveWeights(path);
            var again = Applications.MobileNetV2([32, 32, 3], alpha: 0.35, classes: 3, weights: path);
            CollectionAssert.AreEqual(m.Variables[^1].Numpy(), again.Variables[^1].Numpy());
            CollectionAssert.AreEqual(m.Variables[5].Numpy(), again.Variables[5].Numpy());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
