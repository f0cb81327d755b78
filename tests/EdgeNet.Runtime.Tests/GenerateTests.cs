using EdgeNet.Tests.Shared;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Cli;
using EdgeNet.Trainer.Data;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Losses;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>The char model end to end: trained by the trainer, exported, sampled by `edgenet generate`.</summary>
[TestClass]
[DoNotParallelize]
public sealed class GenerateTests
{
    [TestMethod]
    public void Char_lstm_blob_predicts_like_the_trainer_and_generates_text()
    {
        KerasBackend.SetRandomSeed(9);
        var corpus = new TextCorpus(string.Concat(Enumerable.Repeat("the cart balances the pole. ", 40)), seed: 2);
        var model = new CharRNN(corpus.NumChars, units: 32);
        model.Compile(new Adam(1e-2f), new SparseCategoricalCrossentropy());
        for (int s = 0; s < 60; s++)
        {
            var (x, y) = corpus.GetBatch(12, 16);
            using var scope = TensorScope.Begin();
            model.TrainOnBatch(x.ToTensor(), y.ToTensor());
        }

        string path = Path.Combine(Path.GetTempPath(), $"charlstm-{Guid.NewGuid():N}.enb");
        try
        {
            var (probe, _) = corpus.GetBatch(12, 1);
            ModelExporter.ExportSamples(model, path, QuantizationOptions.F32, [probe],
                new Dictionary<string, EnbValue> { ["text.vocabulary"] = EnbValue.String(new string(corpus.Chars)) });
            float[] expected = model.Predict(probe.ToTensor()).ToArray();
            using (var it = Interp.Load(path))
            {
                probe.Data.CopyTo(it.Input(1));
                it.Invoke(1);
                CollectionAssert.AreEqual(expected, it.Output(1).ToArray(), new FloatTolerance(1e-5f), "next-character distribution");
            }

            var o = new StringWriter();
            var e = new StringWriter();
            int code = EdgenetCli.Run(["generate", path, "--seed", "the cart ", "--temperature", "0.2", "--length", "40"], o, e);
            Assert.AreEqual(0, code, e.ToString());
            string text = o.ToString().TrimEnd('\n', '\r');
            StringAssert.StartsWith(text, "the cart ");
            Assert.AreEqual("the cart ".Length + 40, text.Length);
            Assert.IsTrue(text.All(c => corpus.Chars.Contains(c)), text);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
