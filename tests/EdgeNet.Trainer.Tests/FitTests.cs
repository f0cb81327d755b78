using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Callbacks;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Losses;
using EdgeNet.Trainer.Keras.Metrics;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Tests;

/// <summary>Compile / Fit / Evaluate / Predict, callbacks, save and resume on real digits.</summary>
[TestClass]
[DoNotParallelize] // seeds the process-wide Keras RNG: another class drawing from it concurrently would change the weights
public sealed class FitTests
{
    private static DatasetSplit? s_digits;

    private static DatasetSplit Digits => s_digits ??= Datasets.LoadDigits();

    private static (NDArray X, NDArray Y) Arrays(ImageDataset d) =>
        (new NDArray(d.Images, d.Count, 28, 28, 1), new NDArray(d.LabelsAsFloat(), d.Count));

    private static Sequential NewMlp() => new([new Flatten(), new Dense(100, activation: "relu"), new Dense(10), new Softmax()]);

    [TestMethod]
    public void Fit_evaluate_predict_on_real_digits()
    {
        KerasBackend.SetRandomSeed(7);
        var (x, y) = Arrays(Digits.Train.Take(2500));
        var (xt, yt) = Arrays(Digits.Test.Take(500));
        var model = NewMlp();
        model.Compile(new Adam(1e-3f), "sparse_categorical_crossentropy", "accuracy");
        var history = model.Fit(x, y, epochs: 3, batchSize: 50, validationData: (xt, yt), verbose: 0);
        Assert.AreEqual(3, history.Epochs);
        Assert.IsLessThan(history["loss"][0], history["loss"][2], "training loss falls");
        var eval = model.Evaluate(xt, yt, batchSize: 50, verbose: 0);
        Assert.IsGreaterThan(0.85, eval["sparse_categorical_accuracy"], $"accuracy {eval["sparse_categorical_accuracy"]}");
        var probs = model.Predict(xt, batchSize: 64);
        Assert.AreEqual(new Shape(500, 10), probs.Shape);

        // val_loss after the last epoch, computed here from Predict's probabilities: mean −ln p[label], clipped at ε = 1e-7.
        double byHand = Enumerable.Range(0, 500).Average(i => -Math.Log(Math.Clamp(probs.Data[(i * 10) + (int)yt.Data[i]], 1e-7, 1 - 1e-7)));
        Assert.AreEqual(byHand, history["val_loss"][2], 1e-5, "val_loss of the last epoch");
        Assert.AreEqual(byHand, eval["loss"], 1e-5, "Evaluate's loss");
        int correct = Enumerable.Range(0, 500).Count(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probs.Data.AsSpan(i * 10, 10)) == (int)yt.Data[i]);
        Assert.AreEqual(eval["sparse_categorical_accuracy"], correct / 500.0, 1e-9, "Predict agrees with Evaluate");
        Assert.AreEqual(eval["sparse_categorical_accuracy"], history["val_sparse_categorical_accuracy"][2], 1e-9, "the last epoch's validation accuracy");
        // The training accuracy of an epoch is the running accuracy over its batches (read before validation resets the metric):
        // the last epoch's is below its validation accuracy here, not equal to it.
        Assert.AreNotEqual(history["val_sparse_categorical_accuracy"][2], history["sparse_categorical_accuracy"][2], "training metrics are not the validation's");
        Assert.IsGreaterThan(0.8, history["sparse_categorical_accuracy"][2]);

        string png = Path.Combine(Path.GetTempPath(), $"history-{Guid.NewGuid():N}.png");
        try
        {
            EdgeNet.Trainer.Cli.HistoryPlot.Save(history, png, width: 900, height: 480);
            // The curves, not just a frame: coloured (non-grey) pixels in most columns of the image, where the
            // loss and accuracy lines run from the first epoch to the last. Axes, text and grid are grey.
            var image = StbImageSharp.ImageResult.FromMemory(File.ReadAllBytes(png), StbImageSharp.ColorComponents.RedGreenBlue);
            Assert.AreEqual(900, image.Width);
            Assert.AreEqual(480, image.Height);
            int colouredColumns = 0;
            for (int xPix = 0; xPix < image.Width; xPix++)
            {
                for (int yPix = 0; yPix < image.Height; yPix++)
                {
                    int o = ((yPix * image.Width) + xPix) * 3;
                    int r = image.Data[o], g = image.Data[o + 1], b = image.Data[o + 2];
                    if (Math.Max(r, Math.Max(g, b)) - Math.Min(r, Math.Min(g, b)) > 60)
                    {
                        colouredColumns++;
                        break;
                    }
                }
            }

            Assert.IsGreaterThan(0.6 * image.Width, colouredColumns, $"{colouredColumns} of {image.Width} columns show a curve");
        }
        finally
        {
            File.Delete(png);
        }
    }

    [TestMethod]
    public void Save_and_resume_continue_exactly_like_uninterrupted_training()
    {
        var (x, y) = Arrays(Digits.Train.Take(400));
        KerasBackend.SetRandomSeed(11);
        var a = NewMlp();
        a.Compile(new Adam(1e-3f), new SparseCategoricalCrossentropy());
        a.Apply(Tensor.Zeros(new Shape(1, 28, 28, 1)));
        var initial = a.Variables.Select(v => v.Numpy()).ToArray();
        a.Fit(x, y, epochs: 2, batchSize: 40, shuffle: false, verbose: 0);

        var b = NewMlp();
        b.Compile(new Adam(1e-3f), new SparseCategoricalCrossentropy());
        b.Apply(Tensor.Zeros(new Shape(1, 28, 28, 1)));
        for (int i = 0; i < initial.Length; i++)
        {
            b.Variables[i].Assign(initial[i]);
        }

        b.Fit(x, y, epochs: 1, batchSize: 40, shuffle: false, verbose: 0);
        string dir = Directory.CreateTempSubdirectory("edgenet-ckpt-").FullName;
        try
        {
            string path = Path.Combine(dir, "ckpt.enb");
            b.Save(path);

            // A new process would rebuild the model from the file and continue.
            var c = Model.Load(path, new Adam(1e-3f));
            Assert.AreEqual(10, c.Optimizer!.Iterations, "optimizer step count restored");
            c.Fit(x, y, epochs: 1, batchSize: 40, shuffle: false, verbose: 0);
            for (int i = 0; i < a.Variables.Count; i++)
            {
                CollectionAssert.AreEqual(a.Variables[i].Numpy(), c.Variables[i].Numpy(), $"variable {a.Variables[i].Name} after resume");
            }

            // Weights-only files load into a model built in code.
            string weights = Path.Combine(dir, "w.enb");
            a.SaveWeights(weights);
            var d = NewMlp();
            d.Apply(Tensor.Zeros(new Shape(1, 28, 28, 1)));
            d.LoadWeights(weights);
            var probe = x.Slice(0, 5).ToTensor();
            CollectionAssert.AreEqual(a.Apply(probe).ToArray(), d.Apply(probe).ToArray());
            var e = Assert.ThrowsExactly<InvalidDataException>(() => Model.Load(weights));
            StringAssert.Contains(e.Message, "weights only");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void EarlyStopping_stops_after_patience_and_restores_the_best_weights()
    {
        var model = NewMlp();
        model.Apply(Tensor.Zeros(new Shape(1, 28, 28, 1)));
        var stop = new EarlyStopping(monitor: "val_loss", patience: 1, restoreBestWeights: true) { Model = model };
        stop.OnTrainBegin();
        var v = model.Variables[0];
        double[] valLoss = [1.0, 0.8, 0.85, 0.9, 0.7];
        float[]? best = null;
        for (int epoch = 0; epoch < valLoss.Length && !model.StopTraining; epoch++)
        {
            var w = v.Numpy();
            w[0] = epoch;
            v.Assign(w);
            if (epoch == 1)
            {
                best = v.Numpy();
            }

            stop.OnEpochEnd(epoch, new Dictionary<string, double> { ["val_loss"] = valLoss[epoch] });
        }

        Assert.AreEqual(3, stop.StoppedEpoch, "two epochs without improvement with patience 1 stop at epoch 3");
        Assert.IsTrue(model.StopTraining);
        CollectionAssert.AreEqual(best, v.Numpy(), "weights of epoch 1 (the best) restored");
    }

    [TestMethod]
    public void ModelCheckpoint_saves_only_improvements_when_asked()
    {
        string dir = Directory.CreateTempSubdirectory("edgenet-mc-").FullName;
        try
        {
            var model = NewMlp();
            model.Apply(Tensor.Zeros(new Shape(1, 28, 28, 1)));
            var cb = new ModelCheckpoint(Path.Combine(dir, "e{epoch}.enb"), monitor: "val_accuracy", saveBestOnly: true, saveWeightsOnly: true) { Model = model };
            double[] acc = [0.5, 0.7, 0.6, 0.8];
            for (int i = 0; i < acc.Length; i++)
            {
                cb.OnEpochEnd(i, new Dictionary<string, double> { ["val_accuracy"] = acc[i] });
            }

            CollectionAssert.AreEquivalent(new[] { "e01.enb", "e02.enb", "e04.enb" }, Directory.GetFiles(dir).Select(Path.GetFileName).ToArray());
            Assert.AreEqual(3, cb.Saves);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Training_an_uncompiled_model_or_mismatched_data_says_how_to_fix_it()
    {
        var model = NewMlp();
        var (x, y) = Arrays(Digits.Train.Take(10));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => model.Fit(x, y, verbose: 0));
        StringAssert.Contains(e.Message, "Compile(optimizer, loss, metrics)");
        model.Compile(new Adam(), new SparseCategoricalCrossentropy());
        var a = Assert.ThrowsExactly<ArgumentException>(() => model.Fit(x, y.Slice(0, 5), verbose: 0));
        StringAssert.Contains(a.Message, "x has 10 samples but y has 5");
        var bad = new NDArray(Enumerable.Repeat(12f, 10).ToArray(), 10);
        var r = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Fit(x, bad, verbose: 0));
        StringAssert.Contains(r.Message, "label 12");
    }
}
