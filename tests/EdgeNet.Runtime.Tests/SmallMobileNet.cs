using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Models;

namespace EdgeNet.Runtime.Tests;

/// <summary>A MobileNetV2 (alpha 0.35, 32×32, 3 classes) on a folder of coloured photos, exported as an f32 blob with its pipeline.</summary>
internal static class SmallMobileNet
{
    /// <summary>Writes <paramref name="perClass"/> photos per class under DIR/photos and the blob DIR/<paramref name="name"/>; returns both paths.</summary>
    public static (string Photos, string Blob) Export(string dir, int perClass, int recalibrationBatches, int batchSize, string name)
    {
        string photos = EdgeNet.Tests.Shared.TestImages.ColourFolder(Path.Combine(dir, "photos"), ["daisy", "roses", "tulips"], perClass, 30, 40, seed: 4);
        var pipeline = ImagePipeline.MobileNet(32, ColorMode.Rgb);
        var batches = new Trainer.Data.ImageBatches(ImageFolder.Load(photos, pipeline), pipeline);
        var model = Trainer.Keras.Applications.Applications.MobileNetV2([32, 32, 3], alpha: 0.35, classes: 3);
        model.RecalibrateBatchNormalization(batches, batches: recalibrationBatches, batchSize: batchSize);
        string blob = Path.Combine(dir, name);
        model.Export(blob, QuantizationOptions.F32, batches, batches, (m, t) => ChapterLoop.Accuracy(m, t));
        return (photos, blob);
    }
}
