using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Training;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;
using EdgeNet.Tests.Shared;
using BoardNonFinite = EdgeNet.Runtime.Training.NonFiniteGradientException;
using TOps = EdgeNet.Trainer.Autograd.Ops;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// Training on the board against the trainer: the same f32 blob and batch give the trainer's tape
/// gradients and, after Adam steps, the trainer's weights; frozen layers keep their bytes; the plan never
/// lets two live buffers share bytes; a step allocates nothing; bad blobs and options are refused by name.
/// </summary>
[TestClass]
[DoNotParallelize] // seeds the process-wide Keras RNG
public sealed class TrainingSessionTests
{
    private static float[] Rand(int n, int seed, float lo = -1, float hi = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + ((hi - lo) * (float)r.NextDouble())).ToArray();
    }

    private static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"train-{name}-{Guid.NewGuid():N}.enb");

    /// <summary>The test models: a name, the model, one sample's shape, the outputs, the loss.</summary>
    private static IEnumerable<(string Name, Func<Sequential> Make, int[] Sample, int Outputs, TrainingLoss Loss)> Models()
    {
        yield return ("mlp", () => new Sequential([new Flatten(), new Dense(17, activation: "relu"), new Dense(5, activation: "tanh"), new Dense(4), new Softmax()]), [6, 5, 1], 4, TrainingLoss.SparseCategoricalCrossentropy);
        yield return ("cnn", () => new Sequential([new Conv2D(4, [3, 3], padding: "same", activation: "relu"), new MaxPool2D([2, 2]), new Conv2D(6, [3, 2], strides: [2, 1], padding: "valid", activation: "sigmoid"), new Flatten(), new Dense(5), new Softmax()]), [9, 10, 2], 5, TrainingLoss.SparseCategoricalCrossentropy);
        yield return ("cnn-logits", () => new Sequential([new Conv2D(3, [2, 2], strides: [2, 2], padding: "same"), new Flatten(), new Dense(6)]), [7, 5, 3], 6, TrainingLoss.SparseCategoricalCrossentropy);
        yield return ("q-network-huber", () => new Sequential([new Dense(24, activation: "relu"), new Dense(24, activation: "relu"), new Dense(2)]), [4], 2, TrainingLoss.Huber);
        yield return ("q-network-mse", () => new Sequential([new Dense(16, activation: "relu"), new Dense(2)]), [4], 2, TrainingLoss.MeanSquaredError);
    }

    private static (Sequential Model, string Blob) Build(Func<Sequential> make, int[] sample, string name)
    {
        KerasBackend.SetRandomSeed(7);
        var model = make();
        int per = sample.Aggregate(1, (a, d) => a * d);
        using (TensorScope.Begin())
        {
            model.Predict(Tensor.FromArray(Rand(per, 1), [1, .. sample]));
        }

        string path = Temp(name);
        ModelExporter.ExportSamples(model, path, new QuantizationOptions { Scheme = QuantizationScheme.F32 }, [new NDArray(Rand(4 * per, 2), [4, .. sample])], new Dictionary<string, EnbValue>());
        return (model, path);
    }

    private static float[] Targets(TrainingLoss loss, int batch, int outputs, int seed) =>
        loss == TrainingLoss.SparseCategoricalCrossentropy
            ? Enumerable.Range(0, batch).Select(i => (float)((i * 7 + seed) % outputs)).ToArray()
            : Rand(batch * outputs, seed, -2, 2);

    /// <summary>The trainer's loss on its tape: the mean of the per-sample loss.</summary>
    private static Tensor TrainerLoss(TrainingLoss loss, Tensor yTrue, Tensor yPred, bool fromLogits) => loss switch
    {
        TrainingLoss.SparseCategoricalCrossentropy => TOps.ReduceMean(TOps.SparseCategoricalCrossentropy(yTrue, yPred, fromLogits)),
        TrainingLoss.MeanSquaredError => TOps.ReduceMean(TOps.MeanSquaredError(yTrue, yPred)),
        _ => TOps.ReduceMean(TOps.Huber(yTrue, yPred)),
    };

    private static void Near(float[] expected, ReadOnlySpan<float> actual, double relative, string what)
    {
        Assert.HasCount(expected.Length, actual.ToArray(), what);
        double scale = expected.Max(v => Math.Abs((double)v));
        for (int i = 0; i < expected.Length; i++)
        {
            // Relative per element, with a floor at 1% of the tensor's largest value (float sums in another order).
            double tol = relative * Math.Max(Math.Abs(expected[i]), 1e-2 * scale);
            Assert.AreEqual(expected[i], actual[i], Math.Max(tol, 1e-12), $"{what}[{i}] (largest |value| {scale:g3})");
        }
    }

    [TestMethod]
    public void Gradients_equal_the_trainers_tape_on_the_same_blob_and_batch()
    {
        const int Batch = 6;
        foreach (var (name, make, sample, outputs, loss) in Models())
        {
            var (model, blob) = Build(make, sample, name);
            try
            {
                int per = sample.Aggregate(1, (a, d) => a * d);
                float[] x = Rand(Batch * per, 11), t = Targets(loss, Batch, outputs, 3);
                Dictionary<string, float[]> expected;
                float expectedLoss;
                using (TensorScope.Begin())
                {
                    using var tape = new GradientTape();
                    var pred = model.Apply(Tensor.FromArray(x, [Batch, .. sample]));
                    var yTrue = loss == TrainingLoss.SparseCategoricalCrossentropy ? Tensor.FromArray(t, Batch) : Tensor.FromArray(t, [Batch, outputs]);
                    var l = TrainerLoss(loss, yTrue, pred, fromLogits: name == "cnn-logits");
                    expectedLoss = l.ToArray()[0];
                    var grads = tape.Gradient(l, model.TrainableVariables);
                    expected = model.TrainableVariables.Zip(grads).ToDictionary(p => p.First.Name, p => p.Second!.ToArray());
                }

                foreach (var variant in new[] { KernelVariant.Simd, KernelVariant.Reference })
                {
                    using var s = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = 8, Loss = loss, Variant = variant });
                    x.CopyTo(s.Input(Batch));
                    t.CopyTo(s.Targets(Batch));
                    float got = s.ComputeGradients(Batch);
                    double tol = variant == KernelVariant.Simd ? 1e-5 : 1e-4;
                    Assert.AreEqual(expectedLoss, got, tol * Math.Max(1, Math.Abs(expectedLoss)), $"{name} {variant}: loss");
                    Assert.HasCount(expected.Count, s.Params, $"{name}: every weight learns with 'all'");
                    foreach (var (param, g) in expected)
                    {
                        Near(g, s.Gradient(param), tol, $"{name} {variant}: d{param}");
                    }
                }
            }
            finally
            {
                File.Delete(blob);
            }
        }
    }

    [TestMethod]
    public void Weights_after_ten_adam_steps_equal_the_trainers()
    {
        const int Batch = 5;
        foreach (var (name, make, sample, outputs, loss) in Models().Where(m => m.Name is "cnn" or "q-network-huber"))
        {
            var (model, blob) = Build(make, sample, name);
            try
            {
                using var s = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = Batch, Loss = loss, LearningRate = 0.01f });
                var adam = new Adam(learningRate: 0.01f);
                int per = sample.Aggregate(1, (a, d) => a * d);
                for (int step = 0; step < 10; step++)
                {
                    float[] x = Rand(Batch * per, 100 + step), t = Targets(loss, Batch, outputs, step);
                    using (TensorScope.Begin())
                    {
                        using var tape = new GradientTape();
                        var pred = model.Apply(Tensor.FromArray(x, [Batch, .. sample]));
                        var yTrue = loss == TrainingLoss.SparseCategoricalCrossentropy ? Tensor.FromArray(t, Batch) : Tensor.FromArray(t, [Batch, outputs]);
                        var grads = tape.Gradient(TrainerLoss(loss, yTrue, pred, false), model.TrainableVariables);
                        adam.ApplyGradients(grads.Zip(model.TrainableVariables));
                    }

                    x.CopyTo(s.Input(Batch));
                    t.CopyTo(s.Targets(Batch));
                    s.Step(Batch);
                }

                Assert.AreEqual(10, s.Steps);
                foreach (var v in model.TrainableVariables)
                {
                    Near(v.Numpy(), s.Weight(v.Name), 1e-5, $"{name}: {v.Name} after 10 Adam steps");
                }
            }
            finally
            {
                File.Delete(blob);
            }
        }
    }

    [TestMethod]
    public void Frozen_layers_keep_their_bytes_and_nothing_below_the_lowest_trainable_layer_has_a_gradient()
    {
        var (_, blob) = Build(Models().First(m => m.Name == "cnn").Make, [9, 10, 2], "frozen");
        try
        {
            using var s = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = 4, Layers = "last:1", LearningRate = 0.05f });
            string[] layers = s.Params.Select(p => p.Layer).Distinct().ToArray();   // conv2d_N, conv2d_M, dense_K (Keras numbers names per process)
            Assert.HasCount(3, layers);
            CollectionAssert.AreEqual(new[] { layers[2] }, s.TrainableLayers.ToArray());
            var before = s.Params.ToDictionary(p => p.Name, p => s.Weight(p.Name).ToArray());
            for (int i = 0; i < 5; i++)
            {
                Rand(4 * 180, 40 + i).CopyTo(s.Input(4));
                new float[] { 0, 1, 2, 3 }.CopyTo(s.Targets(4));
                s.Step(4);
            }

            foreach (var p in s.Params)
            {
                bool same = before[p.Name].AsSpan().SequenceEqual(s.Weight(p.Name));
                Assert.AreEqual(!p.Trainable, same, $"{p.Name}: {(p.Trainable ? "learns" : "frozen, keeps its bytes")}");
            }

            // The convolutions below run forward only: no gradient of their outputs is planned.
            var gradients = s.Buffers.Where(b => b.Name.StartsWith("gradient of ", StringComparison.Ordinal)).Select(b => b.Name).ToArray();
            Assert.IsFalse(gradients.Any(n => n.Contains("conv2d", StringComparison.Ordinal) || n.Contains("max_pool", StringComparison.Ordinal)), string.Join("; ", gradients));
            Assert.ThrowsExactly<ArgumentException>(() => s.Gradient(s.Params[0].Name));

            using var named = TrainingSession.Load(blob, new TrainingOptions { Layers = $"{layers[1]}, {layers[2]}" });
            CollectionAssert.AreEqual(new[] { layers[1], layers[2] }, named.TrainableLayers.ToArray());
        }
        finally
        {
            File.Delete(blob);
        }
    }

    [TestMethod]
    public void No_two_buffers_alive_at_the_same_step_share_bytes_and_none_is_used_outside_its_lifetime()
    {
        foreach (var (name, make, sample, outputs, loss) in Models())
        {
            var (_, blob) = Build(make, sample, name);
            try
            {
                foreach (string layers in new[] { "all", "last:1" })
                {
                    using var s = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = 7, Loss = loss, Layers = layers });

                    // Every float no live buffer holds is NaN at each step: the same steps as an unpoisoned
                    // session give the same weights only if every buffer is used inside its planned lifetime.
                    using var clean = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = 7, Loss = loss, Layers = layers });
                    s.PoisonDeadBuffers = true;
                    int per = sample.Aggregate(1, (a, d) => a * d);
                    for (int step = 0; step < 2; step++)
                    {
                        foreach (var session in new[] { s, clean })
                        {
                            Rand(7 * per, 60 + step).CopyTo(session.Input(7));
                            Targets(loss, 7, outputs, step).CopyTo(session.Targets(7));
                            session.Step(7);
                        }
                    }

                    foreach (var p in s.Params)
                    {
                        CollectionAssert.AreEqual(clean.Weight(p.Name).ToArray(), s.Weight(p.Name).ToArray(), $"{name} {layers}: {p.Name} with dead buffers poisoned");
                    }

                    var b = s.Buffers;
                    for (int i = 0; i < b.Count; i++)
                    {
                        Assert.IsLessThanOrEqualTo(s.ArenaBytes / 4, b[i].Offset + b[i].Floats, $"{name} {layers}: {b[i].Name} inside the arena");
                        for (int j = i + 1; j < b.Count; j++)
                        {
                            bool live = b[i].First <= b[j].Last && b[j].First <= b[i].Last;
                            bool overlap = b[i].Offset < b[j].Offset + b[j].Floats && b[j].Offset < b[i].Offset + b[i].Floats;
                            Assert.IsFalse(live && overlap, $"{name} {layers}: '{b[i].Name}' [{b[i].First}, {b[i].Last}] and '{b[j].Name}' [{b[j].First}, {b[j].Last}] share bytes");
                        }
                    }

                    Assert.IsLessThan(s.UnsharedBytes, s.ArenaBytes + 1, $"{name}: the plan shares");
                }
            }
            finally
            {
                File.Delete(blob);
            }
        }
    }

    [TestMethod]
    public void A_step_allocates_nothing_over_a_thousand_steps()
    {
        var (_, blob) = Build(Models().First(m => m.Name == "q-network-huber").Make, [4], "alloc");
        try
        {
            using var s = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = 16, Loss = TrainingLoss.Huber, ClipNorm = 10 });
            Rand(16 * 4, 5).CopyTo(s.Input(16));
            Rand(16 * 2, 6).CopyTo(s.Targets(16));
            for (int i = 0; i < 200; i++)
            {
                s.Step(16);
            }

            // The least of three windows: a tier-1 recompile landing on this thread is not the step's.
            long least = long.MaxValue;
            for (int w = 0; w < 3; w++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 1000; i++)
                {
                    s.Step(16);
                }

                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            Assert.AreEqual(0L, least, "bytes allocated by 1,000 training steps");
            Assert.IsTrue(float.IsFinite(s.LastLoss), "the loss stays finite");
        }
        finally
        {
            File.Delete(blob);
        }
    }

    [TestMethod]
    public void Save_writes_a_blob_the_interpreter_runs_with_the_fine_tunes_provenance()
    {
        var (_, blob) = Build(Models().First(m => m.Name == "mlp").Make, [6, 5, 1], "save");
        string outPath = Temp("saved");
        try
        {
            using var s = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = 4, Layers = "last:2", LearningRate = 0.05f });
            float[] x = Rand(4 * 30, 9);
            for (int i = 0; i < 3; i++)
            {
                x.CopyTo(s.Input(4));
                new float[] { 0, 1, 2, 3 }.CopyTo(s.Targets(4));
                s.Step(4);
            }

            s.Save(outPath, "unit test batch");
            x.CopyTo(s.Input(4));
            s.Forward(4);
            float[] expected = s.Output(4).ToArray();

            using var interp = Interpreter.Load(outPath, new InterpreterOptions { MaxBatch = 4 });
            x.CopyTo(interp.Input(4));
            interp.Invoke(4);
            Near(expected, interp.Output(4), 1e-5, "the saved blob's outputs");

            using var r = BlobReader.Open(outPath, new BlobReadOptions { VerifyTensorHashes = true });
            using var b = BlobReader.Open(blob);
            Assert.AreEqual(3L, r.GetMetadata("finetune.steps")!.AsInt64());
            Assert.AreEqual("unit test batch", r.GetMetadata("finetune.data")!.AsString());
            Assert.AreEqual(string.Join(",", s.Params.Select(p => p.Layer).Distinct().Skip(1)), r.GetMetadata("finetune.layers")!.AsString());
            StringAssert.StartsWith(r.GetMetadata("finetune.base")!.AsString(), Path.GetFileName(blob) + " xxh3:");
            Assert.AreEqual(s.LastLoss, r.GetMetadata("finetune.loss")!.AsDouble(), 1e-6);
            Assert.AreEqual("adam lr=0.05", r.GetMetadata("finetune.optimizer")!.AsString());

            // What a caller wrote stays across steps: the same batch again needs no rewrite.
            float[] kept = s.Input(4).ToArray(), labels = s.Targets(4).ToArray();
            s.Step(4);
            s.Step(4);
            CollectionAssert.AreEqual(kept, s.Input(4).ToArray(), "inputs kept across steps");
            CollectionAssert.AreEqual(labels, s.Targets(4).ToArray(), "targets kept across steps");
            for (int i = 0; i < b.Tensors.Count; i++)
            {
                bool trained = s.Params.First(p => p.Name == b.Tensors[i].Name).Trainable;
                Assert.AreEqual(!trained, b.GetTensorBytes(i).SequenceEqual(r.GetTensorBytes(i)), $"{b.Tensors[i].Name}: {(trained ? "rewritten" : "the same bytes")}");
            }
        }
        finally
        {
            File.Delete(blob);
            File.Delete(outPath);
        }
    }

    [TestMethod]
    public void Blobs_and_options_that_cannot_train_are_refused_with_the_reason()
    {
        var (model, blob) = Build(Models().First(m => m.Name == "mlp").Make, [6, 5, 1], "refuse");
        string int8 = Temp("int8");
        try
        {
            ModelExporter.ExportSamples(model, int8, new QuantizationOptions { Scheme = QuantizationScheme.Int8 }, [new NDArray(Rand(8 * 30, 3, 0, 1), [8, 6, 5, 1])], new Dictionary<string, EnbValue>());
            var e = Assert.ThrowsExactly<RuntimeModelException>(() => TrainingSession.Load(int8));
            StringAssert.Contains(e.Message, "cannot learn");
            StringAssert.Contains(e.Message, int8);

            // The char-LSTM: its backward (through time, over the fused cell) is not on the board; the reason is given.
            string lstm = Temp("lstm");
            try
            {
                var rnn = new EdgeNet.Trainer.Models.CharRNN(numChars: 12, units: 8);
                float[] ids = Enumerable.Range(0, 24).Select(i => (float)(i % 12)).ToArray();
                ModelExporter.ExportSamples(rnn, lstm, QuantizationOptions.F32, [new NDArray(ids, 4, 6)], new Dictionary<string, EnbValue>());
                var refused = Assert.ThrowsExactly<RuntimeModelException>(() => TrainingSession.Load(lstm));
                StringAssert.Contains(refused.Message, "is an LSTM; its backward");
            }
            finally
            {
                File.Delete(lstm);
            }

            // A blob whose bytes were damaged is refused by the reader, naming the file.
            string damaged = Temp("damaged");
            try
            {
                byte[] bytes = File.ReadAllBytes(blob);
                using (var r = BlobReader.Open(blob))
                {
                    bytes[r.Header.DataOffset + r.Tensors[0].Offset + 5] ^= 0x5A;   // inside the first kernel: its hash no longer matches
                }

                File.WriteAllBytes(damaged, bytes);
                var d = Assert.ThrowsExactly<EnbFormatException>(() => TrainingSession.Load(damaged));
                StringAssert.Contains(d.Message, damaged);
            }
            finally
            {
                File.Delete(damaged);
            }

            var a = Assert.ThrowsExactly<ArgumentException>(() => TrainingSession.Load(blob, new TrainingOptions { Layers = "last:9" }));
            string[] layers = model.Layers.OfType<Dense>().Select(l => l.Name).ToArray();
            StringAssert.Contains(a.Message, $"has 3 layers with weights ({string.Join(", ", layers)})");
            a = Assert.ThrowsExactly<ArgumentException>(() => TrainingSession.Load(blob, new TrainingOptions { Layers = "dense_7" }));
            StringAssert.Contains(a.Message, "no layer 'dense_7'");
            a = Assert.ThrowsExactly<ArgumentException>(() => TrainingSession.Load(blob, new TrainingOptions { LearningRate = -1 }));
            StringAssert.Contains(a.Message, "TrainingOptions.LearningRate");

            // A NaN in the inputs: the step refuses and no weight changes.
            using var s = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = 2 });
            string kernel = s.Params[0].Name;
            var w = s.Weight(kernel).ToArray();
            var x = Rand(60, 4);
            x[7] = float.NaN;
            x.CopyTo(s.Input(2));
            new float[] { 1, 2 }.CopyTo(s.Targets(2));
            var n = Assert.ThrowsExactly<BoardNonFinite>(() => s.Step(2));
            StringAssert.Contains(n.Message, "no weight was changed");
            CollectionAssert.AreEqual(w, s.Weight(kernel).ToArray());
            Assert.AreEqual(0L, s.Steps);

            // A label outside the classes names the row.
            Rand(60, 4).CopyTo(s.Input(2));
            new float[] { 1, 4 }.CopyTo(s.Targets(2));
            var l = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => s.Step(2));
            StringAssert.Contains(l.Message, "label 4 at row 1");
        }
        finally
        {
            File.Delete(blob);
            File.Delete(int8);
        }
    }

    [TestMethod]
    public void A_save_cut_midway_leaves_the_previous_blob_loadable_and_no_temp_file()
    {
        var (_, blob) = Build(Models().First(m => m.Name == "q-network-mse").Make, [4], "cut");
        string dir = Directory.CreateTempSubdirectory("edgenet-save-cut-").FullName;
        string path = Path.Combine(dir, "q.enb");
        try
        {
            using var s = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = 4, Loss = TrainingLoss.MeanSquaredError });
            Rand(16, 1).CopyTo(s.Input(4));
            Rand(8, 2).CopyTo(s.Targets(4));
            s.Step(4);
            s.Save(path, "first");
            byte[] first = File.ReadAllBytes(path);
            s.Step(4);
            foreach (long cut in new long[] { 0, 100, first.Length / 2, first.Length - 1 })
            {
                var e = Assert.ThrowsExactly<IOException>(() => s.Writer("second").Write(path, st => new FailingStream(st, cut)));
                StringAssert.Contains(e.Message, "injected failure");
                CollectionAssert.AreEqual(first, File.ReadAllBytes(path), $"cut after {cut} bytes: the previous blob is untouched");
                Assert.HasCount(1, Directory.GetFiles(dir), "no temp file left behind");
                using var r = BlobReader.Open(path, new BlobReadOptions { VerifyTensorHashes = true });
                Assert.AreEqual("first", r.GetMetadata("finetune.data")!.AsString());
            }
        }
        finally
        {
            File.Delete(blob);
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    [DataRow(false, DisplayName = "momentum")]
    [DataRow(true, DisplayName = "nesterov")]
    public void Sgd_with_momentum_gives_the_trainers_weights(bool nesterov)
    {
        const int Batch = 5;
        var (name, make, sample, outputs, loss) = Models().First(m => m.Name == "mlp");
        var (model, blob) = Build(make, sample, "sgd");
        try
        {
            using var s = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = Batch, Loss = loss, Optimizer = TrainingOptimizer.Sgd, LearningRate = 0.05f, Momentum = 0.9f, Nesterov = nesterov, ClipNorm = 0.5f });
            var sgd = new SGD(learningRate: 0.05f, momentum: 0.9f, nesterov: nesterov) { ClipNorm = 0.5f };
            for (int step = 0; step < 8; step++)
            {
                float[] x = Rand(Batch * 30, 200 + step), t = Targets(loss, Batch, outputs, step);
                using (TensorScope.Begin())
                {
                    using var tape = new GradientTape();
                    var pred = model.Apply(Tensor.FromArray(x, [Batch, .. sample]));
                    var grads = tape.Gradient(TrainerLoss(loss, Tensor.FromArray(t, Batch), pred, false), model.TrainableVariables);
                    sgd.ApplyGradients(grads.Zip(model.TrainableVariables));
                }

                x.CopyTo(s.Input(Batch));
                t.CopyTo(s.Targets(Batch));
                s.Step(Batch);
            }

            foreach (var v in model.TrainableVariables)
            {
                Near(v.Numpy(), s.Weight(v.Name), 1e-5, $"{name}: {v.Name} after 8 SGD steps (clipnorm 0.5)");
            }
        }
        finally
        {
            File.Delete(blob);
        }
    }

    [TestMethod]
    public void Int8_requantization_on_the_board_writes_the_trainers_int8_blob()
    {
        foreach (var (name, make, sample, _, _) in Models().Where(m => m.Name is "cnn" or "mlp"))
        {
            var (model, blob) = Build(make, sample, name + "-q");
            string trainerInt8 = Temp(name + "-trainer-int8");
            try
            {
                int per = sample.Aggregate(1, (a, d) => a * d);
                float[][] calib = [Rand(6 * per, 31, 0, 1), Rand(6 * per, 32, 0, 1)];
                ModelExporter.ExportSamples(model, trainerInt8, new QuantizationOptions { Scheme = QuantizationScheme.Int8 },
                    calib.Select(c => new NDArray(c, [6, .. sample])).ToList(), new Dictionary<string, EnbValue>());

                using var s = TrainingSession.Load(blob, new TrainingOptions { MaxBatch = 6 });
                float[] min = Enumerable.Repeat(float.PositiveInfinity, s.Values.Count).ToArray(), max = Enumerable.Repeat(float.NegativeInfinity, s.Values.Count).ToArray();
                foreach (var c in calib)
                {
                    c.CopyTo(s.Input(6));
                    s.Observe(6, min, max);
                }

                using var board = BlobReader.FromBytes(s.Int8Writer("test", min, max, 12).ToArray(), "board-int8");
                using var trainer = BlobReader.Open(trainerInt8);
                Assert.AreEqual("int8", board.GetMetadata("quantization.scheme")!.AsString());
                Assert.HasCount(trainer.Tensors.Count, board.Tensors, name);
                for (int i = 0; i < trainer.Tensors.Count; i++)
                {
                    Assert.AreEqual(trainer.Tensors[i].Name, board.Tensors[i].Name, name);
                    Assert.AreEqual(trainer.Tensors[i].Type, board.Tensors[i].Type, $"{name}: {trainer.Tensors[i].Name}");
                    Assert.IsTrue(trainer.GetTensorBytes(i).SequenceEqual(board.GetTensorBytes(i)), $"{name}: {trainer.Tensors[i].Name} bytes");
                }

                var (tg, bg) = (trainer.Graph!, board.Graph!);
                Assert.HasCount(tg.Values.Count, bg.Values, name);
                for (int v = 0; v < tg.Values.Count; v++)
                {
                    Assert.AreEqual(tg.Values[v].Name, bg.Values[v].Name);
                    Assert.AreEqual(tg.Values[v].Type, bg.Values[v].Type);
                    CollectionAssert.AreEqual(tg.Values[v].Quantization.Scales.ToArray(), bg.Values[v].Quantization.Scales.ToArray(), $"{name}: {tg.Values[v].Name} scale");
                    CollectionAssert.AreEqual(tg.Values[v].Quantization.ZeroPoints.ToArray(), bg.Values[v].Quantization.ZeroPoints.ToArray(), $"{name}: {tg.Values[v].Name} zero point");
                }

                CollectionAssert.AreEqual(tg.Operators.Select(o => o.Opcode).ToArray(), bg.Operators.Select(o => o.Opcode).ToArray(), name);
            }
            finally
            {
                File.Delete(blob);
                File.Delete(trainerInt8);
            }
        }
    }

    [TestMethod]
    public void An_f16_blob_trains_in_f32_and_its_frozen_layers_stay_f16()
    {
        var (model, f32) = Build(Models().First(m => m.Name == "q-network-mse").Make, [4], "f16-base");
        string f16 = Temp("f16"), saved = Temp("f16-saved");
        try
        {
            ModelExporter.ExportSamples(model, f16, QuantizationOptions.F16, [new NDArray(Rand(16, 2), [4, 4])], new Dictionary<string, EnbValue>());
            using var a = TrainingSession.Load(f32, new TrainingOptions { MaxBatch = 4, Loss = TrainingLoss.MeanSquaredError, Layers = "last:1" });
            using var h = TrainingSession.Load(f16, new TrainingOptions { MaxBatch = 4, Loss = TrainingLoss.MeanSquaredError, Layers = "last:1" });
            foreach (var s in new[] { a, h })
            {
                Rand(16, 5).CopyTo(s.Input(4));
                Rand(8, 6).CopyTo(s.Targets(4));
                s.ComputeGradients(4);
            }

            // The f16 weights widened to f32 differ from the f32 ones by f16's rounding (2^-11 relative), and so do the gradients.
            string head = a.Params[^2].Name;
            Near(a.Gradient(head).ToArray(), h.Gradient(head), 5e-3, "the head's gradient from the f16 blob");
            h.Step(4);
            h.Save(saved, "f16 test");
            using var r = BlobReader.Open(saved, new BlobReadOptions { VerifyTensorHashes = true });
            using var b = BlobReader.Open(f16);
            for (int i = 0; i < b.Tensors.Count; i++)
            {
                bool trained = h.Params.First(p => p.Name == b.Tensors[i].Name).Trainable;
                Assert.AreEqual(trained ? ElementType.F32 : ElementType.F16, r.Tensors[i].Type, b.Tensors[i].Name);
                Assert.AreEqual(!trained, b.GetTensorBytes(i).SequenceEqual(r.GetTensorBytes(i)), b.Tensors[i].Name);
            }
        }
        finally
        {
            File.Delete(f32);
            File.Delete(f16);
            File.Delete(saved);
        }
    }
}
