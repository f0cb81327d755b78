using EdgeNet.Formats.Contract;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeNet.Formats.Data;
using Interp = EdgeNet.Runtime.Interpreter;
using EdgeNet.Runtime.Input;

namespace EdgeNet.Runtime.Cli;

/// <summary>run, eval, generate and bench: the runtime's commands that execute a model.</summary>
internal static class RunCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    internal static Option<string> Variant() => new("--kernels") { Description = "simd (default) or reference", DefaultValueFactory = _ => "simd" };

    internal static Option<int> Threads() => new("--threads") { Description = "worker threads (default 1: leave the board's other cores to the control loop)", DefaultValueFactory = _ => 1 };

    internal static InterpreterOptions Options(ParseResult p, Option<string> variant, Option<int> threads, int maxBatch) => new()
    {
        MaxBatch = maxBatch,
        Threads = p.GetValue(threads),
        Variant = p.GetValue(variant) switch
        {
            "simd" => KernelVariant.Simd,
            "reference" => KernelVariant.Reference,
            var v => throw new ArgumentException($"--kernels must be simd or reference, not '{v}'"),
        },
    };

    public static Command Run(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model");
        var input = new Option<string?>("--input") { Description = "image models: PNG/JPEG/BMP or PGM (RGB or grey, cropped and resized as the blob's metadata says), raw bytes or an IDX images file" };
        var obs = new Option<string?>("--obs") { Description = "vector models (a DQN Q-network): one observation as comma-separated values, e.g. 0.01,0,-0.02,0" };
        var index = new Option<int>("--index") { Description = "image index within an IDX file", DefaultValueFactory = _ => 0 };
        var invert = new Option<bool>("--invert") { Description = "invert pixels (dark digit on a light background, e.g. a camera photo)" };
        var variant = Variant();
        var threads = Threads();
        var raw = new Option<bool>("--print-outputs") { Description = "also print every output value (for comparing machines)" };
        var cmd = new Command("run", "Classify one image with an image model, or evaluate one observation with a Q-network (--obs).") { model, input, obs, index, invert, variant, threads, raw };
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            if (p.GetValue(obs) is { } observation)
            {
                using var it = Interp.Load(p.GetValue(model)!, Options(p, variant, threads, 1));
                RunObservation(it, p.GetValue(model)!, observation, p.GetValue(raw), o);
                return;
            }

            using var classifier = new ImageClassifier(p.GetValue(model)!, Options(p, variant, threads, 1)); // refuses a model that takes no image, saying what it takes
            string image = p.GetValue(input) ?? throw new ArgumentException($"give --input IMAGE for the image model {p.GetValue(model)} (or --obs v1,v2,... for a vector model)");
            float[] pixels = classifier.ReadFile(image, p.GetValue(invert), p.GetValue(index));
            var sw = Stopwatch.StartNew();
            classifier.Classify(pixels);
            double us = sw.Elapsed.TotalMicroseconds;
            var names = classifier.ClassNames;
            var top = classifier.Top(classifier.Channels == 1 ? 3 : 5);
            o.WriteLine($"prediction: {names[top[0].Class]} ({top[0].P.ToString("P1", Inv)})  [{us.ToString("F0", Inv)} us]");
            foreach (var (i, v) in top.AsSpan(1))
            {
                o.WriteLine($"            {names[i]} ({v.ToString("P1", Inv)})");
            }

            if (p.GetValue(raw))
            {
                o.WriteLine("outputs: " + CliFormat.Floats(classifier.Model.Output(1).ToArray()));
            }
        }));
        return cmd;
    }

    /// <summary>One observation through a vector model: the outputs named by rl.action_names, and the argmax action.</summary>
    private static void RunObservation(Interp it, string path, string text, bool printRaw, TextWriter o)
    {
        var values = ModelInfo.ParseObservation(text, it.InputSampleSize, path);
        values.CopyTo(it.Input(1));
        var sw = Stopwatch.StartNew();
        it.Invoke(1);
        double us = sw.Elapsed.TotalMicroseconds;
        var q = it.Output(1).ToArray();
        var names = ModelInfo.ActionNames(it.Blob, q.Length);
        int best = Rig.Environments.Rollout.ArgMax(q);
        o.WriteLine("q-values: " + CliFormat.Join("  ", q.Length, i => $"{names[i]} {q[i].ToString("F4", Inv)}"));
        o.WriteLine($"action: {best} ({names[best]})  [{us.ToString("F1", Inv)} us]");
        if (printRaw)
        {
            o.WriteLine("outputs: " + CliFormat.Floats(q));
        }
    }

    public static Command Eval(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model");
        var data = new Option<string>("--data") { Description = "the test split of: " + Datasets.SpecHelp + "; or a FOLDER of CLASS/*.jpg|png (models with an image pipeline, e.g. MobileNetV2: fed as their metadata says)", DefaultValueFactory = _ => "digits" };
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => int.MaxValue };
        var split = new Option<string>("--split") { Description = "a FOLDER: all its images, or the 20% 'validation' part the trainer held out (same seed)", DefaultValueFactory = _ => "all" };
        var compare = new Option<string?>("--compare") { Description = "another blob of the same model (e.g. the f32 export beside an int8 one): also its accuracy and the share of images both classify alike (top-1 agreement)" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 50 };
        var variant = Variant();
        var threads = Threads();
        var raw = new Option<bool>("--print-outputs") { Description = "also print every output value of the first batch (for comparing machines)" };
        var cmd = new Command("eval", "Accuracy of an image model on a test set, on this machine.") { model, data, limit, split, compare, batch, variant, threads, raw };
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            string spec = p.GetValue(data)!;
            int bs = Math.Max(1, p.GetValue(batch));
            using var it = Interp.Load(p.GetValue(model)!, Options(p, variant, threads, bs));
            var test = TestImages(it.Blob, spec, p.GetValue(split)!).Take(p.GetValue(limit));
            var sw = Stopwatch.StartNew();
            var (correct, firstBatch) = Accuracy(it, test, bs);
            o.WriteLine($"accuracy: {((double)correct / test.Count).ToString("F4", Inv)} ({correct}/{test.Count}) on {test.Name} in {sw.Elapsed.TotalMilliseconds.ToString("F0", Inv)} ms, kernels {it.Options.Variant.ToString().ToLowerInvariant()} ({KernelInfo.FloatGemm}, int8 {KernelInfo.Int8Gemm})");
            if (p.GetValue(compare) is { } other)
            {
                using var it2 = Interp.Load(other, Options(p, variant, threads, bs));
                var (agree, correct2) = Agreement(it, it2, test, bs);
                o.WriteLine($"compared with {other}: its accuracy {((double)correct2 / test.Count).ToString("F4", Inv)} ({(100.0 * (correct - correct2) / test.Count).ToString("+0.00;-0.00", Inv)} points here); top-1 agreement {((double)agree / test.Count).ToString("P2", Inv)} ({agree}/{test.Count})");
            }
            if (p.GetValue(raw) && firstBatch is not null)
            {
                o.WriteLine("outputs: " + CliFormat.Floats(firstBatch));
            }
        }));
        return cmd;
    }

    public static Command Generate(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model");
        var seed = new Option<string>("--seed") { Description = "starting text (padded or cut to the model's sequence length)", DefaultValueFactory = _ => "the " };
        var temperature = new Option<float>("--temperature") { DefaultValueFactory = _ => 1f };
        var length = new Option<int>("--length") { DefaultValueFactory = _ => 200 };
        var rngSeed = new Option<int>("--random-seed") { DefaultValueFactory = _ => 1 };
        var variant = Variant();
        var threads = Threads();
        var cmd = new Command("generate", "Generate text with a char-LSTM model (the chapter's sampling with a temperature).") { model, seed, temperature, length, rngSeed, variant, threads };
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            using var it = Interp.Load(p.GetValue(model)!, Options(p, variant, threads, 1));
            string vocab = it.Blob.GetMetadata(MetadataKeys.TextVocabulary)?.AsString() ?? throw new RuntimeModelException($"{p.GetValue(model)}: no 'text.vocabulary' metadata: not a char model");
            int seqLength = it.InputSampleSize;
            float t = p.GetValue(temperature);
            if (!(t > 0))
            {
                throw new ArgumentException("--temperature must be > 0");
            }

            var window = new float[seqLength];
            string start = p.GetValue(seed)!.ToLowerInvariant();
            for (int i = 0; i < seqLength; i++)
            {
                char c = i - (seqLength - start.Length) is var k && k >= 0 && k < start.Length ? start[k] : ' ';
                int id = vocab.IndexOf(c, StringComparison.Ordinal);
                window[i] = Math.Max(0, id < 0 ? vocab.IndexOf(' ', StringComparison.Ordinal) : id);
            }

            var rng = new Random(p.GetValue(rngSeed));
            var text = new System.Text.StringBuilder(start);
            var weights = new double[vocab.Length];
            for (int n = 0; n < p.GetValue(length); n++)
            {
                window.CopyTo(it.Input(1));
                it.Invoke(1);
                int pick = TemperatureSampler.Sample(it.Output(1), t, rng, weights);
                text.Append(vocab[pick]);
                Array.Copy(window, 1, window, 0, seqLength - 1);
                window[^1] = pick;
            }

            o.WriteLine(text.ToString());
        }));
        return cmd;
    }

    /// <summary>Correct predictions of an image model over <paramref name="test"/> in batches, and the first batch's outputs.</summary>
    internal static (int Correct, float[]? FirstBatch) Accuracy(Interp it, Formats.Data.ImageDataset test, int batch) => ImageFeed.Accuracy(it, test, batch);

    /// <summary>How many test images two interpreters of one model classify alike, and how many the second gets right.</summary>
    internal static (int Agree, int Correct) Agreement(Interp a, Interp b, Formats.Data.ImageDataset test, int batch)
    {
        var feed = new ImageFeed(ModelInfo.Pipeline(a.Blob), test);
        int agree = 0, correct = 0;
        for (int s = 0; s < test.Count; s += batch)
        {
            int n = Math.Min(batch, test.Count - s);
            feed.Write(s, n, a.Input(n));

            a.Input(n).CopyTo(b.Input(n));
            a.Invoke(n);
            b.Invoke(n);
            var ya = a.Output(n);
            var yb = b.Output(n);
            int classes = ya.Length / n;
            for (int i = 0; i < n; i++)
            {
                int pa = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(ya.Slice(i * classes, classes));
                int pb = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(yb.Slice(i * classes, classes));
                agree += pa == pb ? 1 : 0;
                correct += pb == test.Labels[s + i] ? 1 : 0;
            }
        }

        return (agree, correct);
    }

    /// <summary>
    /// The test images for a blob: a FOLDER of class sub-folders read through the blob's pipeline (all of it, or the
    /// validation part the trainer held out), else the test split of a named dataset.
    /// </summary>
    internal static Formats.Data.ImageDataset TestImages(Formats.Enb.BlobReader blob, string spec, string split)
    {
        if (split is not ("all" or "validation"))
        {
            throw new ArgumentException($"--split must be all or validation, not '{split}'");
        }

        if (Directory.Exists(spec) && ImageFolder.Looks(spec))
        {
            var pipeline = ModelInfo.Pipeline(blob);
            var classes = blob.GetMetadata(MetadataKeys.ClassNames)?.AsStringArray();
            return split == "validation" ? ImageFolder.LoadSplit(spec, pipeline).Test : ImageFolder.Load(spec, pipeline, classes);
        }

        return Datasets.Load(spec).Test;
    }

    /// <summary>How many of <paramref name="n"/> output rows (y: [n, classes]) have their largest value at the label.</summary>
    internal static int Correct(ReadOnlySpan<float> y, int n, ReadOnlySpan<int> labels) => ImageFeed.Correct(y, n, labels);

    public static Command Bench(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model");
        var batches = new Option<string>("--batch") { Description = "comma-separated batch sizes", DefaultValueFactory = _ => "1,50" };
        var seconds = new Option<double>("--seconds") { DefaultValueFactory = _ => 2 };
        var variant = Variant();
        var threads = Threads();
        var profile = new Option<bool>("--profile") { Description = "also print the time of each operator" };
        var train = new Option<bool>("--train") { Description = "time training steps on the board (forward, loss, backward, Adam) instead of inference" };
        var loss = new Option<string>("--loss") { Description = "with --train: sce (sparse cross-entropy), mse or huber; default huber for a DQN Q-network, else sce" };
        var layers = new Option<string>("--layers") { Description = "with --train: all, last:K or layer names", DefaultValueFactory = _ => "all" };
        var subBatch = new Option<int?>("--sub-batch") { Description = "inference: run larger batches in pieces of this many samples, each thread its own (default: the largest whose arena fits 1 MiB)" };
        var noDepthFirst = new Option<bool>("--no-depth-first") { Description = "inference: write every convolution's whole map before the depthwise convolution reads it (default: large ones are computed band by band inside it)" };
        var cmd = new Command("bench", "Latency percentiles, throughput, arena and peak memory, and allocations per Invoke (or per training step with --train).") { model, batches, seconds, variant, threads, profile, train, loss, layers, subBatch, noDepthFirst };
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            foreach (string batchText in p.GetValue(batches)!.Split(','))
            {
                int b = int.Parse(batchText, Inv);
                if (p.GetValue(train))
                {
                    if (!Features.Training)
                    {
                        throw new ArgumentException("--train: this edgenet was published for inference only (publish.sh without --inference-only keeps training)");
                    }

                    BenchTrain(o, p.GetValue(model)!, b, p.GetValue(seconds), Options(p, variant, threads, b), p.GetValue(loss), p.GetValue(layers)!);
                    continue;
                }

                using var it = Interp.Load(p.GetValue(model)!, Options(p, variant, threads, b) with { SubBatch = p.GetValue(subBatch), DepthFirst = !p.GetValue(noDepthFirst) });
                var rng = new Random(1);
                var input = it.Input(b);
                for (int i = 0; i < input.Length; i++)
                {
                    input[i] = (float)rng.NextDouble();
                }

                var x = input.ToArray();
                var r = Measure(it, b, p.GetValue(seconds), x);
                if (p.GetValue(profile))
                {
                    var ticks = new long[it.OperatorCount];
                    for (int i = 0; i < 20; i++)
                    {
                        x.CopyTo(it.Input(b));
                        it.InvokeProfiled(b, ticks);
                    }

                    var g = it.Blob.Graph!;
                    for (int i = 0; i < ticks.Length; i++)
                    {
                        // An operator computed depth-first inside a depthwise convolution has its time counted there.
                        string inside = it.Kernels[i].ComputedBy is { } by ? $"  (computed inside op {by.Index}, {g.Values[g.Operators[by.Index].Outputs[0]].Name})" : "";
                        o.WriteLine($"  op {i,2} {g.Operators[i].Opcode,-10} -> {g.Values[g.Operators[i].Outputs[0]].Name,-24} {(ticks[i] * 1e6 / Stopwatch.Frequency / 20).ToString("F1", Inv),10} us{inside}");
                    }
                }

                o.WriteLine($"batch {b,3}: p50 {r.P50.ToString("F1", Inv)} us  p90 {r.P90.ToString("F1", Inv)} us  p99 {r.P99.ToString("F1", Inv)} us  " +
                    $"throughput {(b * 1e6 / r.P50).ToString("F0", Inv)} samples/s  arena {it.ArenaBytes.ToString("N0", Inv)} B  allocated/invoke {r.AllocatedPerInvoke} B  sub-batch {it.SubBatch}  " +
                    $"kernels {it.Options.Variant.ToString().ToLowerInvariant()} ({KernelInfo.FloatGemm}, int8 {KernelInfo.Int8Gemm}), threads {it.Options.Threads}");
            }

            o.WriteLine($"peak RSS {(PeakRssBytes() / 1048576.0).ToString("F1", Inv)} MiB");
        }));
        return cmd;
    }

    /// <summary>Training steps on random inputs and targets: step-time percentiles, arena and allocations per step.</summary>
    private static void BenchTrain(TextWriter o, string path, int batch, double seconds, InterpreterOptions io, string? lossName, string layers)
    {
        string architecture;
        using (var r = Formats.Enb.BlobReader.Open(path, new Formats.Enb.BlobReadOptions { VerifyTensorHashes = false }))
        {
            architecture = r.GetMetadata(Formats.Contract.MetadataKeys.Architecture)?.AsString() ?? "";
        }

        var loss = (lossName ?? (architecture == "dqn" ? "huber" : "sce")) switch
        {
            "sce" => Training.TrainingLoss.SparseCategoricalCrossentropy,
            "mse" => Training.TrainingLoss.MeanSquaredError,
            "huber" => Training.TrainingLoss.Huber,
            var other => throw new ArgumentException($"--loss '{other}': use sce, mse or huber"),
        };
        using var s = Training.TrainingSession.Load(path, new Training.TrainingOptions { MaxBatch = batch, Loss = loss, Layers = layers, Variant = io.Variant, Threads = io.Threads });
        var rng = new Random(1);
        var x = new float[s.Input(batch).Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)rng.NextDouble();
        }

        var t = s.Targets(batch);
        int classes = s.OutputSampleSize / Math.Max(1, s.TargetSampleSize);
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = loss == Training.TrainingLoss.SparseCategoricalCrossentropy ? rng.Next(classes) : (float)rng.NextDouble();
        }

        // The input written back before each step (untimed): a frozen body's interpreter may reuse its bytes.
        var (p50, p90, p99, allocated) = Time(() => s.Step(batch), seconds, () => x.CopyTo(s.Input(batch)));
        o.WriteLine($"train batch {batch,3}: p50 {p50.ToString("F1", Inv)} us  p90 {p90.ToString("F1", Inv)} us  p99 {p99.ToString("F1", Inv)} us  " +
            $"{(1e6 / p50).ToString("F0", Inv)} steps/s  loss {loss}  learning {string.Join(",", s.TrainableLayers)}  arena {s.ArenaBytes.ToString("N0", Inv)} B (unshared {s.UnsharedBytes.ToString("N0", Inv)} B)  " +
            $"allocated/step {allocated} B  kernels {io.Variant.ToString().ToLowerInvariant()} (gemm {KernelInfo.TrainingGemm}), threads {io.Threads}");
    }

    /// <summary>
    /// Invoke's percentiles on <paramref name="input"/>. The input lives in the arena, whose bytes later operators reuse,
    /// so it is written before each call (untimed), as an application writes each new frame: every call converts real
    /// data (an int8 model's quantize would otherwise read leftover int8 codes as floats, denormals among them).
    /// </summary>
    internal static (double P50, double P90, double P99, long AllocatedPerInvoke) Measure(Interp it, int batch, double seconds, float[] input) =>
        Time(() => it.Invoke(batch), seconds, () => input.CopyTo(it.Input(batch)));

    /// <summary>
    /// Percentiles of <paramref name="run"/>'s wall time over <paramref name="seconds"/> (at least 20 calls), then the bytes it
    /// allocates per call over 200 more; <paramref name="before"/> runs untimed before each call.
    /// </summary>
    private static (double P50, double P90, double P99, long AllocatedPerCall) Time(Action run, double seconds, Action? before = null)
    {
        for (int i = 0; i < 5; i++)
        {
            before?.Invoke();
            run();
        }

        var times = new List<double>(100_000);
        int calls = 0;
        var total = Stopwatch.StartNew();
        var sw = new Stopwatch();
        while (total.Elapsed.TotalSeconds < seconds || calls < 20)
        {
            before?.Invoke();
            sw.Restart();
            run();
            sw.Stop();
            if (times.Count < times.Capacity)
            {
                times.Add(sw.Elapsed.TotalMicroseconds);
            }

            calls++;
        }

        // Allocations in the steady state, after the timed run (the runtime's own tier-up work on this thread
        // during the first seconds is not the call's); rounded up, so one byte in the window still shows.
        const int Window = 200;
        long start = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Window; i++)
        {
            before?.Invoke();
            run();
        }

        long allocated = (GC.GetAllocatedBytesForCurrentThread() - start + Window - 1) / Window;
        times.Sort();
        return (times[times.Count / 2], times[(int)(times.Count * 0.9)], times[(int)(times.Count * 0.99)], allocated);
    }

    /// <summary>VmHWM from /proc/self/status (Linux), else the process peak working set.</summary>
    internal static long PeakRssBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0], Inv) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
