using System.Diagnostics;
using EdgeNet.Formats.Data;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Input;

namespace EdgeNet.Runtime.Training;

/// <summary>What a fine-tune on the board does: the blob, the data, what learns, for how long, how the result is written.</summary>
public sealed record FineTuneOptions
{
    /// <summary>The f32 or f16 image-model blob to start from.</summary>
    public required string Model { get; init; }

    /// <summary>
    /// <c>digits</c>, <c>fashion</c>, <c>mnist</c> (each optionally =PATH), or a folder of class sub-folders of images
    /// (split 80/20 by <see cref="Seed"/>): read through the blob's image pipeline (its size, colour and normalization).
    /// </summary>
    public required string Data { get; init; }

    /// <summary>Where the fine-tuned blob is written (atomically).</summary>
    public required string Output { get; init; }

    /// <summary>What learns: <c>all</c>, <c>last:K</c>, or layer names (comma-separated); below the lowest, a frozen body.</summary>
    public string Layers { get; init; } = "all";

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Adam's learning rate.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Samples per step.</summary>
    public int Batch { get; init; } = 32;

    /// <summary>Train on at most this many samples of the training part.</summary>
    public int TrainLimit { get; init; } = int.MaxValue;

    /// <summary>Held-out samples measured before and after.</summary>
    public int EvalLimit { get; init; } = 1000;

    /// <summary>Rotate every image by a random angle in ±[min, max] degrees (a new camera mount), or null.</summary>
    public (double Min, double Max)? Rotate { get; init; }

    /// <summary>Seed of the split, the order and the rotations.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Write the result re-quantized to int8 (activation ranges from <see cref="Calibration"/> training samples).</summary>
    public bool Int8 { get; init; }

    /// <summary>With <see cref="Int8"/>: training samples whose activations set the int8 ranges.</summary>
    public int Calibration { get; init; } = 500;

    /// <summary>Reference or SIMD kernels.</summary>
    public KernelVariant Variant { get; init; } = KernelVariant.Simd;

    /// <summary>Worker threads.</summary>
    public int Threads { get; init; } = 1;
}

/// <summary>What a fine-tune measured.</summary>
/// <param name="Before">Held-out accuracy of the blob as given.</param>
/// <param name="AfterFloat">With <see cref="FineTuneOptions.Int8"/>: the held-out accuracy of the float weights before re-quantization.</param>
/// <param name="After">Held-out accuracy of the written blob on the board's kernels.</param>
/// <param name="TestName">The held-out images' name.</param>
/// <param name="TestCount">Held-out images.</param>
/// <param name="TrainCount">Training images.</param>
/// <param name="Losses">Every step's loss.</param>
/// <param name="Seconds">Training time (the steps only).</param>
/// <param name="ArenaBytes">The training session's arena.</param>
/// <param name="FrozenOperators">Operators of the frozen body (0: the whole chain trains).</param>
public sealed record FineTuneResult(double Before, double? AfterFloat, double After, string TestName, int TestCount, int TrainCount, float[] Losses, double Seconds, long ArenaBytes, int FrozenOperators)
{
    /// <summary>Optimizer steps per second.</summary>
    public double StepsPerSecond => Losses.Length / Seconds;
}

/// <summary>Hooks a caller (the <c>edgenet finetune</c> command) uses to report a fine-tune as it runs.</summary>
public interface IFineTuneProgress
{
    /// <summary>The blob's held-out accuracy before training.</summary>
    void Before(double accuracy, int count, string name);

    /// <summary>The session is planned: what learns, on how many samples, the optimizer and the arena.</summary>
    void Started(TrainingSession session, int samples, int steps, int batch);

    /// <summary>After each step (1-based), with its loss and the seconds since training began.</summary>
    void Step(int step, int total, float loss, double seconds);

    /// <summary>With int8: the float weights' held-out accuracy before re-quantization.</summary>
    void FloatAfter(double accuracy);
}

/// <summary>
/// An image model learns on the board from labelled images and is measured before and after on held-out ones
/// (TFLite's on-device personalization): the data is read through the blob's image pipeline (a digit model's
/// grey 28×28, MobileNetV2's resized RGB), a <see cref="TrainingSession"/> trains what <see cref="FineTuneOptions.Layers"/>
/// chooses (the frozen body forward only), and the result is written in float or re-quantized to int8.
/// </summary>
public static class FineTuning
{
    /// <summary>Runs the fine-tune; reports through <paramref name="progress"/> when given.</summary>
    /// <exception cref="ArgumentException">Bad options or data that does not fit the model (the message says which).</exception>
    /// <exception cref="RuntimeModelException">The blob cannot learn (quantized, or the chosen layers cannot train on the board).</exception>
    public static FineTuneResult Run(FineTuneOptions options, IFineTuneProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Steps < 1 || options.Batch < 1)
        {
            throw new ArgumentException($"--steps {options.Steps} and --batch {options.Batch} must be at least 1");
        }

        var (train, test, pipeline) = Load(options.Model, options.Data, options.Seed);
        train = train.Take(options.TrainLimit);
        test = test.Take(options.EvalLimit);
        if (options.Rotate is { } r)
        {
            train = ImageTransforms.Rotate(train, r.Min, r.Max, (ulong)options.Seed);
            test = ImageTransforms.Rotate(test, r.Min, r.Max, (ulong)options.Seed + 1);
        }

        var interp = new InterpreterOptions { MaxBatch = 50, Variant = options.Variant, Threads = options.Threads };
        double before = Accuracy(options.Model, test, interp);
        progress?.Before(before, test.Count, test.Name);

        var sessionOptions = new TrainingOptions { Layers = options.Layers, MaxBatch = options.Batch, LearningRate = options.LearningRate, Variant = options.Variant, Threads = options.Threads };
        using var session = TrainingSession.Load(options.Model, sessionOptions);
        var feed = new ImageFeed(pipeline, train);
        progress?.Started(session, train.Count, options.Steps, options.Batch);
        int[] order = Datasets.SeededPermutation(train.Count, (ulong)options.Seed);
        int n = options.Steps, b = options.Batch;
        var losses = new float[n];
        var sw = Stopwatch.StartNew();
        for (int s = 0; s < n; s++)
        {
            var x = session.Input(b);
            var t = session.Targets(b);
            for (int i = 0; i < b; i++)
            {
                int k = order[((s * b) + i) % train.Count];
                feed.Write(k, x.Slice(i * pipeline.SampleSize, pipeline.SampleSize));
                t[i] = train.Labels[k];
            }

            losses[s] = session.Step(b);
            progress?.Step(s + 1, n, losses[s], sw.Elapsed.TotalSeconds);
        }

        double seconds = sw.Elapsed.TotalSeconds;
        string provenance = $"{train.Name}: {train.Count} samples, {n} steps of batch {b}";
        double? afterFloat = null;
        if (options.Int8)
        {
            // The float weights' accuracy first (the session's forward), then the int8 blob's through the interpreter.
            int correct = 0;
            var testFeed = new ImageFeed(pipeline, test);
            for (int s0 = 0; s0 < test.Count; s0 += b)
            {
                int m = Math.Min(b, test.Count - s0);
                testFeed.Write(s0, m, session.Input(m));
                session.Forward(m);
                correct += ImageFeed.Correct(session.Output(m), m, test.Labels.AsSpan(s0, m));
            }

            afterFloat = (double)correct / test.Count;
            progress?.FloatAfter(afterFloat.Value);
            int samples = Math.Min(Math.Max(1, options.Calibration), train.Count);
            float[] min = new float[session.Values.Count], max = new float[session.Values.Count];
            Array.Fill(min, float.PositiveInfinity);
            Array.Fill(max, float.NegativeInfinity);
            for (int s0 = 0; s0 < samples; s0 += b)
            {
                int m = Math.Min(b, samples - s0);
                feed.Write(s0, m, session.Input(m));
                session.Observe(m, min, max);
            }

            session.Int8Writer(provenance, min, max, samples).Write(options.Output);
        }
        else
        {
            session.Save(options.Output, provenance);
        }

        double after = Accuracy(options.Output, test, interp);
        return new FineTuneResult(before, afterFloat, after, test.Name, test.Count, train.Count, losses, seconds, session.ArenaBytes, session.FrozenOperators);
    }

    /// <summary>The training and held-out parts: a dataset's train/test split, or a labelled folder split 80/20 by the seed, and the blob's pipeline.</summary>
    private static (ImageDataset Train, ImageDataset Test, ImagePipeline Pipeline) Load(string modelPath, string spec, int seed)
    {
        ImagePipeline pipeline;
        string[]? classes;
        using (var r = BlobReader.Open(modelPath, new BlobReadOptions { VerifyTensorHashes = false }))
        {
            int[] shape = ModelInfo.InputShape(r);
            if (shape.Length != 3 || shape[2] is not (1 or 3))
            {
                throw new ArgumentException($"{modelPath}: input [{string.Join(", ", shape)}]; finetune takes image models [H, W, 1 or 3]");
            }

            pipeline = ModelInfo.Pipeline(r);
            int outputs = r.Graph!.Values[r.Graph.Outputs[0]].Dims[^1];
            classes = ModelInfo.ClassNames(r, outputs);
        }

        ImageDataset train, test;
        if (ImageFolder.Looks(spec))
        {
            var all = ImageFolder.Load(spec, pipeline, classes);
            int[] order = Datasets.SeededPermutation(all.Count, (ulong)seed);
            int cut = Math.Max(1, all.Count * 4 / 5);
            (train, test) = (all.Subset(order[..cut], all.Name + " (train)"), all.Subset(order[cut..], all.Name + " (held out)"));
        }
        else
        {
            (train, test) = Datasets.Load(spec);
            bool resized = pipeline.Resize == ResizeMode.Bilinear;
            if (!resized && (train.Height != pipeline.Height || train.Width != pipeline.Width || train.Channels != pipeline.Channels))
            {
                throw new ArgumentException($"--data '{spec}': images {train.Height}x{train.Width}x{train.Channels}; {modelPath} takes [{pipeline.Height}, {pipeline.Width}, {pipeline.Channels}]");
            }
        }

        if (test.Count == 0)
        {
            throw new ArgumentException($"--data '{spec}': no held-out samples to measure on (give more images)");
        }

        return (train, test, pipeline);
    }

    private static double Accuracy(string blob, ImageDataset test, InterpreterOptions options)
    {
        using var it = Interpreter.Load(blob, options);
        return (double)ImageFeed.Accuracy(it, test, options.MaxBatch).Correct / test.Count;
    }
}
