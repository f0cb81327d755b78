using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Data;
using EdgeNet.Formats.Enb;
using EdgeNet.Tests.Shared;

namespace EdgeNet.Formats.Tests;

/// <summary>The image pipeline against hand computations (PyTorch's bilinear, the centred crop, the channel rules) and the folder dataset's rules.</summary>
[TestClass]
public sealed class ImagePipelineTests
{
    [TestMethod]
    public void Bilinear_resize_matches_pytorch_half_pixel_interpolation()
    {
        // torch.nn.functional.interpolate([[0, 1], [2, 3]], size=(4, 4), mode='bilinear', align_corners=False):
        // source x = (o + 0.5)/2 − 0.5 → −0.25 (clamped to 0), 0.25, 0.75, 1.25 (right neighbour clamped).
        float[] src = [0, 1, 2, 3];
        var dst = new float[16];
        ImagePipeline.BilinearResize(src, 2, 2, 1, 0, 0, 2, 2, dst, 4, 4);
        CollectionAssert.AreEqual(new float[] { 0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f, 1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3 }, dst);

        // Downscaling 4 → 2 samples the middle of each pair (x = 0.5, 2.5): averages of neighbours, no antialiasing.
        float[] row = [0, 10, 20, 30];
        var half = new float[2];
        ImagePipeline.BilinearResize(row, 1, 4, 1, 0, 0, 1, 4, half, 1, 2);
        CollectionAssert.AreEqual(new float[] { 5, 25 }, half);
    }

    [TestMethod]
    public void Centre_crop_keeps_the_largest_box_of_the_target_aspect()
    {
        Assert.AreEqual((0, 50, 100, 100), ImagePipeline.CenterCrop(100, 200, 96, 96), "landscape to square: the middle 100x100");
        Assert.AreEqual((25, 0, 50, 100), ImagePipeline.CenterCrop(100, 100, 48, 96), "square to 1:2");
        Assert.AreEqual((0, 0, 28, 28), ImagePipeline.CenterCrop(28, 28, 96, 96), "same aspect: no crop");
    }

    [TestMethod]
    public void Channels_and_normalization_follow_the_colour_mode()
    {
        // A 1x1 RGB pixel (255, 0, 0) into a grey model: luma 0.299·255; into grey-as-RGB: the luma three times, scaled to [−1, 1].
        float[] red = [255, 0, 0];
        var grey = new float[1];
        new ImagePipeline(1, 1, 1, ColorMode.Grey, ResizeMode.Bilinear, 1f, 0f).Apply(red, 1, 1, 3, grey);
        Assert.AreEqual(0.299f * 255, grey[0], 1e-3f);
        var g3 = new float[3];
        ImagePipeline.MobileNet(1, ColorMode.GreyAsRgb).Apply(red, 1, 1, 3, g3);
        float want = (0.299f * 255 / 127.5f) - 1;
        CollectionAssert.AreEqual(new[] { want, want, want }, g3);
        // A grey pixel into an RGB model is repeated; 0 and 255 become −1 and 1 (Keras' mobilenet_v2.preprocess_input).
        var rgb = new float[6];
        ImagePipeline.MobileNet(1, ColorMode.Rgb).Apply([0f, 255f], 1, 2, 1, rgb.AsSpan(0, 3));
        CollectionAssert.AreEqual(new float[] { -1, -1, -1 }, rgb[..3], "resized 1x2 → 1x1 samples the left pixel's half-pixel neighbourhood");
    }

    [TestMethod]
    public void Per_channel_normalization_is_torchvisions_mean_and_std_for_each_colour()
    {
        // torchvision's ImageNet normalization: (x/255 − mean_c)/std_c, as a scale 1/(255·std_c) and an offset −mean_c/std_c.
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        var p = new ImagePipeline(1, 1, 3, ColorMode.Rgb, ResizeMode.Bilinear,
            [1f / (255f * std[0]), 1f / (255f * std[1]), 1f / (255f * std[2])], [-mean[0] / std[0], -mean[1] / std[1], -mean[2] / std[2]]);
        var y = new float[3];
        p.Apply([255f, 128f, 0f], 1, 1, 3, y);
        // By hand: (1 − 0.485)/0.229, (128/255 − 0.456)/0.224, (0 − 0.406)/0.225.
        CollectionAssert.AreEqual(new[] { 2.2489083f, 0.20518207f, -1.8044444f }, y, new FloatTolerance(1e-5f));

        // A grey pixel into the three channels: each channel its own.
        var grey = p with { Color = ColorMode.GreyAsRgb };
        grey.Apply([255f], 1, 1, 1, y);
        CollectionAssert.AreEqual(new[] { 2.2489083f, (1 - 0.456f) / 0.224f, (1 - 0.406f) / 0.225f }, y, new FloatTolerance(1e-5f));

        var meta = p.Metadata().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.HasCount(6, meta[MetadataKeys.InputNormalization.Name].AsFloatArray(), "three scales, then three offsets");
        Assert.AreEqual(p, ImagePipeline.FromMetadata(k => meta.GetValueOrDefault(k.Name), "m.enb"));
        Assert.AreNotEqual(p, p.WithNormalization(p.Scale, p.Offset), "one pair for all channels is another pipeline");
        Assert.IsFalse(p.WithNormalization(1f / 255f, 0f).PerChannel);

        meta[MetadataKeys.InputNormalization.Name] = EnbValue.Floats(1f, 2f, 3f, 4f);
        var e = Assert.ThrowsExactly<DatasetException>(() => ImagePipeline.FromMetadata(k => meta.GetValueOrDefault(k.Name), "m.enb"));
        StringAssert.Contains(e.Message, "m.enb: metadata 'input.normalization' has 4 values; it is [scale, offset] or, per channel, [3 scales, 3 offsets]");
    }

    [TestMethod]
    public void Metadata_round_trips_and_unknown_values_are_refused()
    {
        var p = ImagePipeline.MobileNet(96, ColorMode.GreyAsRgb);
        var meta = p.Metadata().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.AreEqual(p, ImagePipeline.FromMetadata(k => meta.GetValueOrDefault(k.Name), "m.enb"));
        Assert.AreEqual(ImagePipeline.Digits(), ImagePipeline.FromMetadata(k => k == MetadataKeys.InputShape ? EnbValue.Ints(28, 28, 1) : null, "digits.enb"), "no pipeline keys: a digit model");
        meta[MetadataKeys.InputColor.Name] = EnbValue.String("cmyk");
        var e = Assert.ThrowsExactly<DatasetException>(() => ImagePipeline.FromMetadata(k => meta.GetValueOrDefault(k.Name), "m.enb"));
        StringAssert.Contains(e.Message, "m.enb: metadata 'input.color' is 'cmyk'; it is grey, rgb or grey_as_rgb");
    }

    [TestMethod]
    public void A_folder_of_class_folders_loads_nested_images_in_ordinal_class_order()
    {
        var root = Directory.CreateTempSubdirectory("edgenet-folder-");
        try
        {
            // tf_flowers' archive layout: the classes inside one root folder; the last class's images one level deeper; a non-image file ignored.
            string photos = Path.Combine(root.FullName, "flower_photos");
            TestImages.ColourFolder(photos, ["tulips", "daisy", "roses"], 4, 30, 40, seed: 1);
            File.WriteAllText(Path.Combine(photos, "LICENSE.txt"), "not an image");
            var pipeline = ImagePipeline.MobileNet(16, ColorMode.Rgb);
            var d = ImageFolder.Load(root.FullName, pipeline);
            CollectionAssert.AreEqual(new[] { "daisy", "roses", "tulips" }, d.ClassNames.ToArray());
            Assert.AreEqual(12, d.Count);
            Assert.AreEqual((16, 16, 3), (d.Height, d.Width, d.Channels));
            CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 }, d.Labels);
            // "tulips" was written with red high (class 0 of the writer): its pixels are red, and the roses (nested) blue.
            Assert.IsGreaterThan(0.6f, d.Image(8)[0], "tulips: red channel ~200/255");
            Assert.IsLessThan(0.35f, d.Image(8)[2]);
            var split = ImageFolder.LoadSplit(root.FullName, pipeline, 0.25);
            Assert.AreEqual((9, 3), (split.Train.Count, split.Test.Count));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void An_unreadable_image_is_refused_naming_the_file_and_the_class()
    {
        var root = Directory.CreateTempSubdirectory("edgenet-folder-");
        try
        {
            TestImages.ColourFolder(root.FullName, ["a", "b"], 2, 8, 8, seed: 2);
            string bad = Path.Combine(root.FullName, "b", "broken.jpg");
            File.WriteAllBytes(bad, [0xFF, 0xD8, 0xFF, 0xE0, 0x00]);
            var e = Assert.ThrowsExactly<DatasetException>(() => ImageFolder.Load(root.FullName, ImagePipeline.MobileNet(8, ColorMode.Rgb)));
            StringAssert.Contains(e.Message, bad);
            StringAssert.Contains(e.Message, "class 'b'");
            var empty = Directory.CreateTempSubdirectory("edgenet-empty-");
            var e2 = Assert.ThrowsExactly<DatasetException>(() => ImageFolder.Load(empty.FullName, ImagePipeline.MobileNet(8, ColorMode.Rgb)));
            StringAssert.Contains(e2.Message, "no class sub-folders with images");
            empty.Delete();
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
