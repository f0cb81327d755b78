using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Models;

namespace EdgeNet.Runtime.Tests;

/// <summary>Digit models the runtime's command tests run: the chapter's MLP trained briefly by the trainer and exported as f32.</summary>
internal static class TestModels
{
    /// <summary>Trains the MLP for <paramref name="steps"/> random batches of 50 (seeded process-wide) and writes <c>DIR/mlp.enb</c>.</summary>
    public static string TrainMlp(string dir, int steps, int seed)
    {
        KerasBackend.SetRandomSeed(seed);
        var data = Datasets.LoadDigits();
        var model = new MLP();
        ChapterLoop.TrainRandomBatches(model, data.Train, steps: steps, batchSize: 50, learningRate: 1e-3f, seed: seed);
        string blob = Path.Combine(dir, "mlp.enb");
        ModelExporter.Export(model, blob, new QuantizationOptions { Scheme = QuantizationScheme.F32 }, data, (net, test) => ChapterLoop.Accuracy(net, test), evalLimit: 100);
        return blob;
    }
}
