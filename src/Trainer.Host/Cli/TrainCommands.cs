using EdgeNet.Formats.Contract;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Data;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Losses;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;
using Spectre.Console;

namespace EdgeNet.Trainer.Cli;

/// <summary><c>edgenet-train mlp|cnn|lstm</c>: the chapter's models on digits, Fashion-MNIST, MNIST or text.</summary>
internal static class TrainCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command ImageCommand(string kind)
    {
        var data = new Option<string>("--data") { Description = Datasets.SpecHelp, DefaultValueFactory = _ => "digits" };
        var steps = new Option<int?>("--steps") { Description = "random batches to train on (default 6000: the chapter's 5 epochs of 60,000 at batch 50)" };
        var epochs = new Option<int?>("--epochs") { Description = "Keras Fit epochs (each sample once per epoch, shuffled) instead of --steps random batches; saves the curves next to --out" };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 50 };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3f };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var limit = new Option<int?>("--train-limit") { Description = "use only the first N training samples (quick runs)" };
        var output = new Option<string?>("--out") { Description = "save the trained float model (weights + optimizer state) here" };
        var device = DeviceOptions.Create();
        var cmd = new Command(kind, kind == "mlp" ? "Train the chapter's MLP (Flatten-Dense100 relu-Dense10)." : "Train the chapter's CNN (2x Conv5x5+MaxPool, Dense1024, Dense10).")
        {
            data, steps, epochs, batch, lr, seed, limit, output, device,
        };
        cmd.SetAction(p => Cli.Guard(() =>
        {
            using var backend = EdgeNet.Trainer.Backends.Device.Select(p.GetValue(device));
            KerasBackend.SetRandomSeed(p.GetValue(seed));
            var split = LoadImages(p.GetValue(data)!);
            var train = p.GetValue(limit) is int n ? split.Train.Take(n) : split.Train;
            int bs = p.GetValue(batch);
            int total = p.GetValue(epochs) is int e ? e * ((train.Count + bs - 1) / bs) : p.GetValue(steps) ?? 6000;
            Model model = kind == "mlp" ? new MLP() : new CNN();
            model.Compile(new Adam(p.GetValue(lr)), new SparseCategoricalCrossentropy(), new Keras.Metrics.SparseCategoricalAccuracy());
            Console.WriteLine($"{kind} on {train.Name} ({train.Count} samples), {total} batches of {bs}, Adam {p.GetValue(lr).ToString(Inv)}, device {EdgeNet.Trainer.Backends.Device.Name}");
            var sw = Stopwatch.StartNew();
            if (p.GetValue(epochs) is int ep)
            {
                // Keras' Fit: every epoch visits each training sample once, in a new shuffled order.
                var test = split.Test;
                var history = model.Fit(new NDArray(train.Images, train.Count, train.Height, train.Width, train.Channels), new NDArray(train.LabelsAsFloat(), train.Count),
                    epochs: ep, batchSize: bs, verbose: AnsiConsole.Profile.Capabilities.Interactive ? 1 : 2,
                    validationData: (new NDArray(test.Images, test.Count, test.Height, test.Width, test.Channels), new NDArray(test.LabelsAsFloat(), test.Count)));
                if (p.GetValue(output) is { } outPath)
                {
                    HistoryPlot.Save(history, Path.ChangeExtension(outPath, ".png"));
                }
            }
            else
            {
                Progress(total, (onStep) => ChapterLoop.TrainRandomBatches(model, train, total, bs, p.GetValue(lr), p.GetValue(seed), onStep));
            }

            double secs = sw.Elapsed.TotalSeconds;
            double acc = ChapterLoop.Accuracy(model, split.Test);
            Console.WriteLine($"trained {total} steps in {secs.ToString("F1", Inv)} s ({(total / secs).ToString("F1", Inv)} steps/s)");
            Console.WriteLine($"test accuracy: {acc.ToString("F6", Inv)} on {split.Test.Name} ({split.Test.Count} samples)");
            if (p.GetValue(output) is { } path)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                model.Save(path);
                Console.WriteLine($"saved {path}");
            }
        }));
        return cmd;
    }

    public static Command LstmCommand()
    {
        var data = new Option<string>("--data") { Description = "text (the fortunes corpus) or text=FILE|FOLDER", DefaultValueFactory = _ => "text" };
        var steps = new Option<int>("--steps") { Description = "random batches (the chapter: 1000)", DefaultValueFactory = _ => 1000 };
        var seq = new Option<int>("--seq-length") { DefaultValueFactory = _ => 40 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 50 };
        var units = new Option<int>("--units") { DefaultValueFactory = _ => 256 };
        var lr = new Option<float>("--lr") { DefaultValueFactory = _ => 1e-3f };
        var maxChars = new Option<int>("--max-chars") { Description = "read at most this much text", DefaultValueFactory = _ => 2_000_000 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var length = new Option<int>("--sample-length") { Description = "characters to generate per temperature", DefaultValueFactory = _ => 200 };
        var device = DeviceOptions.Create();
        var output = new Option<string?>("--out") { Description = "save the trained float model (with its vocabulary) here" };
        var clip = new Option<float?>("--clipnorm") { Description = "clip each gradient to this L2 norm (Keras clipnorm; the chapter uses none)" };
        var export = new Option<string?>("--export") { Description = "also export an .enb blob for 'edgenet generate' here" };
        var quantize = new Option<string>("--quantize") { Description = "blob scheme for --export: f32 | f16 | int8 (weight-only for the LSTM)", DefaultValueFactory = _ => "f32" };
        var cmd = new Command("lstm", "Train the chapter's char LSTM (LSTMCell 256) and print samples at temperatures 0.2, 0.5, 1.0, 1.2.")
        {
            data, steps, seq, batch, units, lr, maxChars, seed, length, device, output, export, quantize, clip,
        };
        cmd.SetAction(p => Cli.Guard(() =>
        {
            using var backend = EdgeNet.Trainer.Backends.Device.Select(p.GetValue(device));
            KerasBackend.SetRandomSeed(p.GetValue(seed));
            string spec = p.GetValue(data)!;
            var corpus = TextCorpus.Load(spec.StartsWith("text=", StringComparison.Ordinal) ? spec[5..] : null, p.GetValue(maxChars), p.GetValue(seed));
            var model = new CharRNN(corpus.NumChars, p.GetValue(units));
            model.Compile(new Adam(p.GetValue(lr)) { ClipNorm = p.GetValue(clip) }, new SparseCategoricalCrossentropy());
            int total = p.GetValue(steps), sl = p.GetValue(seq), bs = p.GetValue(batch);
            Console.WriteLine($"char LSTM on {corpus.RawText.Length:N0} chars ({corpus.NumChars} distinct), {total} batches of {bs}x{sl}, device {EdgeNet.Trainer.Backends.Device.Name}");
            var losses = new List<float>();
            var sw = Stopwatch.StartNew();
            Progress(total, onStep =>
            {
                for (int s = 0; s < total; s++)
                {
                    var (x, y) = corpus.GetBatch(sl, bs);
                    using var scope = TensorScope.Begin();
                    float loss = model.TrainOnBatch(x.ToTensor(), y.ToTensor());
                    losses.Add(loss);
                    onStep(s, loss);
                }
            });
            double secs = sw.Elapsed.TotalSeconds;
            float last = losses.Skip(Math.Max(0, losses.Count - 50)).Average();
            Console.WriteLine($"trained {total} steps in {secs.ToString("F1", Inv)} s ({(total / secs).ToString("F2", Inv)} steps/s); mean loss of the last 50 batches {last.ToString("F4", Inv)}");
            var (seedX, _) = corpus.GetBatch(sl, 1);
            var rng = new Random(p.GetValue(seed));
            foreach (float temperature in new[] { 0.2f, 0.5f, 1.0f, 1.2f })
            {
                var x = seedX.Data.ToArray();
                var text = new System.Text.StringBuilder();
                for (int t = 0; t < p.GetValue(length); t++)
                {
                    int next = model.Sample(new NDArray(x, 1, sl), temperature, rng)[0];
                    text.Append(corpus.Chars[next]);
                    Array.Copy(x, 1, x, 0, sl - 1);
                    x[^1] = next;
                }

                Console.WriteLine($"diversity {temperature.ToString("F6", Inv)}:");
                Console.WriteLine(text.ToString());
                Console.WriteLine();
            }

            string vocabulary = new(corpus.Chars);
            model.Metadata[MetadataKeys.TextVocabulary.Name] = Formats.Enb.EnbValue.String(vocabulary);
            if (p.GetValue(output) is { } outPath)
            {
                model.Save(outPath);
                Console.WriteLine($"saved {outPath}");
            }

            if (p.GetValue(export) is { } blob)
            {
                var scheme = p.GetValue(quantize) switch
                {
                    "f32" => Export.QuantizationScheme.F32,
                    "f16" => Export.QuantizationScheme.F16,
                    "int8" => Export.QuantizationScheme.Int8,
                    var q => throw new ArgumentException($"--quantize must be f32, f16 or int8, not '{q}'"),
                };
                var calibration = Enumerable.Range(0, 4).Select(_ => corpus.GetBatch(sl, 50).X).ToList();
                var report = Export.ModelExporter.ExportSamples(model, blob, new Export.QuantizationOptions { Scheme = scheme }, calibration,
                    new Dictionary<string, Formats.Enb.EnbValue>
                    {
                        [MetadataKeys.TextVocabulary.Name] = Formats.Enb.EnbValue.String(vocabulary),
                        [MetadataKeys.Dataset.Name] = Formats.Enb.EnbValue.String(spec),
                        [MetadataKeys.FinalLoss.Name] = Formats.Enb.EnbValue.F32(last),
                    });
                Console.WriteLine($"exported {blob} ({report.Bytes:N0} bytes, {scheme.ToString().ToLowerInvariant()}); run it with: edgenet generate {blob} --seed \"the \" --temperature 0.5");
            }
        }));
        return cmd;
    }

    /// <summary>The --data grammar both programs share (<see cref="Datasets.Load"/>).</summary>
    internal static DatasetSplit LoadImages(string spec) => Datasets.Load(spec);

    /// <summary>A Spectre.Console progress bar over the steps with the running loss; plain lines when not interactive.</summary>
    private static void Progress(int total, Action<Action<int, float>> run)
    {
        double ema = double.NaN;
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            run((s, loss) =>
            {
                ema = double.IsNaN(ema) ? loss : (0.98 * ema) + (0.02 * loss);
                if ((s + 1) % Math.Max(1, total / 10) == 0)
                {
                    Console.WriteLine($"  step {s + 1}/{total}  loss {ema.ToString("F4", Inv)}");
                }
            });
            return;
        }

        AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: total);
                run((s, loss) =>
                {
                    ema = double.IsNaN(ema) ? loss : (0.98 * ema) + (0.02 * loss);
                    task.Increment(1);
                    if (s % 20 == 0 || s == total - 1)
                    {
                        task.Description = $"batch {s + 1}/{total} loss {ema.ToString("F4", Inv)}";
                    }
                });
            });
    }
}
