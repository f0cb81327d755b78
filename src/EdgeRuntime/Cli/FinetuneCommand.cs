using System.CommandLine;
using System.Diagnostics;
using EdgeNet.Formats.Data;
using EdgeNet.Runtime.Input;
using EdgeNet.Runtime.Training;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Cli;

/// <summary><c>edgenet finetune</c>: an image model learns on the board from labelled images, measured before and after on held-out ones.</summary>
internal static class FinetuneCommand
{
    private static readonly IFormatProvider Inv = System.Globalization.CultureInfo.InvariantCulture;

    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "an f32 or f16 image-model blob" };
        var data = new Option<string>("--data") { Description = Datasets.SpecHelp + ", or a folder of labelled images LABEL/*.png (80% train, 20% held out)", Required = true };
        var output = new Option<string>("--out") { Description = "the fine-tuned blob (written atomically)", Required = true };
        var layers = new Option<string>("--layers") { Description = "what learns: all, last:K, or layer names (comma-separated)", DefaultValueFactory = _ => "all" };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 200 };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3f };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 32 };
        var trainLimit = new Option<int>("--train-limit") { Description = "train on the first N samples of the training part", DefaultValueFactory = _ => int.MaxValue };
        var evalLimit = new Option<int>("--eval-limit") { Description = "held-out samples measured before and after", DefaultValueFactory = _ => 1000 };
        var rotate = new Option<string?>("--rotate") { Description = "rotate every image by MIN:MAX degrees, either way (a new camera mount), e.g. 20:30" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var int8 = new Option<bool>("--int8") { Description = "write the result re-quantized to int8 (activation ranges from --calibration training samples), so the board acts in int8" };
        var calibration = new Option<int>("--calibration") { Description = "with --int8: training samples whose activations set the int8 ranges", DefaultValueFactory = _ => 500 };
        var printLosses = new Option<bool>("--print-losses") { Description = "also print every step's loss on one line (for comparing machines)" };
        var variant = RunCommands.Variant();
        var threads = RunCommands.Threads();
        var cmd = new Command("finetune", "Fine-tune an image model on the board (Adam, sparse cross-entropy) and write the new blob; prints the held-out accuracy before and after.")
        {
            model, data, output, layers, steps, lr, batch, trainLimit, evalLimit, rotate, seed, int8, calibration, printLosses, variant, threads,
        };
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            string path = p.GetValue(model)!, spec = p.GetValue(data)!, outPath = p.GetValue(output)!;
            int n = p.GetValue(steps), b = p.GetValue(batch);
            if (n < 1 || b < 1)
            {
                throw new ArgumentException($"--steps {n} and --batch {b} must be at least 1");
            }

            var (train, test, scale, offset) = Load(path, spec, p.GetValue(seed));
            train = train.Take(p.GetValue(trainLimit));
            test = test.Take(p.GetValue(evalLimit));
            if (p.GetValue(rotate) is { } r)
            {
                var (lo, hi) = ParseRange(r);
                train = ImageTransforms.Rotate(train, lo, hi, (ulong)p.GetValue(seed));
                test = ImageTransforms.Rotate(test, lo, hi, (ulong)p.GetValue(seed) + 1);
            }

            var interp = RunCommands.Options(p, variant, threads, 50);
            double before = Accuracy(path, test, interp);
            o.WriteLine($"before: accuracy {before.ToString("F4", Inv)} on {test.Count} held-out samples of {test.Name}");

            var options = new TrainingOptions { Layers = p.GetValue(layers)!, MaxBatch = b, LearningRate = p.GetValue(lr), Variant = interp.Variant, Threads = interp.Threads };
            using var session = TrainingSession.Load(path, options);
            o.WriteLine($"training {string.Join(", ", session.TrainableLayers)} on {train.Count} samples: {n} steps of batch {b}, {options.OptimizerText}, arena {session.ArenaBytes.ToString("N0", Inv)} B");
            int[] order = Datasets.SeededPermutation(train.Count, (ulong)p.GetValue(seed));
            var losses = new float[n];
            var sw = Stopwatch.StartNew();
            for (int s = 0; s < n; s++)
            {
                var x = session.Input(b);
                var t = session.Targets(b);
                for (int i = 0; i < b; i++)
                {
                    int k = order[((s * b) + i) % train.Count];
                    ModelInfo.Normalize(train.Image(k), x.Slice(i * train.SampleSize, train.SampleSize), scale, offset);

                    t[i] = train.Labels[k];
                }

                float loss = losses[s] = session.Step(b);
                if ((s + 1) % Math.Max(1, n / 10) == 0 || s == n - 1)
                {
                    o.WriteLine($"  step {s + 1,5}/{n}: loss {loss.ToString("F4", Inv)}  ({sw.Elapsed.TotalSeconds.ToString("F1", Inv)} s)");
                }
            }

            double seconds = sw.Elapsed.TotalSeconds;
            if (p.GetValue(printLosses))
            {
                o.WriteLine("losses: " + CliFormat.Floats(losses));
            }

            string provenance = $"{train.Name}: {train.Count} samples, {n} steps of batch {b}";
            if (p.GetValue(int8))
            {
                // The float weights' accuracy first (the session's forward), then the int8 blob's through the interpreter.
                int correct = 0;
                for (int s0 = 0; s0 < test.Count; s0 += b)
                {
                    int m = Math.Min(b, test.Count - s0);
                    ModelInfo.Normalize(test.Images.AsSpan(s0 * test.SampleSize, m * test.SampleSize), session.Input(m), scale, offset);

                    session.Forward(m);
                    correct += RunCommands.Correct(session.Output(m), m, test.Labels.AsSpan(s0, m));
                }

                o.WriteLine($"after:  accuracy {((double)correct / test.Count).ToString("F4", Inv)} with the float weights");
                int samples = Math.Min(Math.Max(1, p.GetValue(calibration)), train.Count);
                float[] min = new float[session.Values.Count], max = new float[session.Values.Count];
                Array.Fill(min, float.PositiveInfinity);
                Array.Fill(max, float.NegativeInfinity);
                for (int s0 = 0; s0 < samples; s0 += b)
                {
                    int m = Math.Min(b, samples - s0);
                    ModelInfo.Normalize(train.Images.AsSpan(s0 * train.SampleSize, m * train.SampleSize), session.Input(m), scale, offset);

                    session.Observe(m, min, max);
                }

                session.Int8Writer(provenance, min, max, samples).Write(outPath);
            }
            else
            {
                session.Save(outPath, provenance);
            }

            double after = Accuracy(outPath, test, interp);
            o.WriteLine($"after:  accuracy {after.ToString("F4", Inv)} on the same held-out samples{(p.GetValue(int8) ? ", int8 on the board" : "")} ({(after - before >= 0 ? "+" : "")}{((after - before) * 100).ToString("F1", Inv)} points)");
            o.WriteLine($"wrote {outPath}: {n} steps in {seconds.ToString("F1", Inv)} s ({(seconds * 1e3 / n).ToString("F1", Inv)} ms/step), peak RSS {(RunCommands.PeakRssBytes() / 1048576.0).ToString("F1", Inv)} MiB");
        }));
        return cmd;
    }

    /// <summary>The training and held-out parts: a dataset's train/test split, or a labelled folder split 80/20 by the seed.</summary>
    private static (ImageDataset Train, ImageDataset Test, float Scale, float Offset) Load(string modelPath, string spec, int seed)
    {
        using var r = Formats.Enb.BlobReader.Open(modelPath, new Formats.Enb.BlobReadOptions { VerifyTensorHashes = false });
        int[] shape = ModelInfo.InputShape(r);
        if (shape.Length != 3 || shape[2] != 1)
        {
            throw new ArgumentException($"{modelPath}: input [{string.Join(", ", shape)}]; finetune takes grey image models [H, W, 1]");
        }

        ImageDataset train, test;
        if (LabelledFolder.Looks(spec))
        {
            int classes = r.Graph!.Values[r.Graph.Outputs[0]].Dims[^1] is var c and > 0 ? (int)c : 0;
            var all = LabelledFolder.Load(spec, shape[0], shape[1], ModelInfo.ClassNames(r, classes));
            int[] order = Datasets.SeededPermutation(all.Count, (ulong)seed);
            int cut = Math.Max(1, all.Count * 4 / 5);
            (train, test) = (all.Subset(order[..cut], all.Name + " (train)"), all.Subset(order[cut..], all.Name + " (held out)"));
        }
        else
        {
            (train, test) = Datasets.Load(spec);
        }

        if (train.Height != shape[0] || train.Width != shape[1] || train.Channels != 1)
        {
            throw new ArgumentException($"--data '{spec}': images {train.Height}x{train.Width}x{train.Channels}; {modelPath} takes [{string.Join(", ", shape)}]");
        }

        if (test.Count == 0)
        {
            throw new ArgumentException($"--data '{spec}': no held-out samples to measure on (give more images)");
        }

        var (scale, offset) = ModelInfo.Normalization(r);
        return (train, test, scale, offset);
    }

    private static double Accuracy(string blob, ImageDataset test, InterpreterOptions options)
    {
        using var it = Interp.Load(blob, options);
        return (double)RunCommands.Accuracy(it, test, options.MaxBatch).Correct / test.Count;
    }

    private static (double Min, double Max) ParseRange(string text)
    {
        var parts = text.Split(':');
        if (parts.Length == 2 && double.TryParse(parts[0], System.Globalization.NumberStyles.Float, Inv, out double lo) && double.TryParse(parts[1], System.Globalization.NumberStyles.Float, Inv, out double hi))
        {
            return (lo, hi);
        }

        throw new ArgumentException($"--rotate '{text}': give MIN:MAX degrees, e.g. 20:30");
    }
}
