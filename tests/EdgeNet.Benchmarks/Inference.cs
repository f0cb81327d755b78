using EdgeNet.Runtime;
using System.Diagnostics;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeNet.Benchmarks;

/// <summary>
/// Inference latency of the EdgeRuntime (f32 and int8 blobs) beside ONNX Runtime on the very same
/// weights (the ONNX export), same thread count, in one run: batch 1 and batch 50, median of timed calls.
/// </summary>
internal static class Inference
{
    public static void Run(int threads, double seconds)
    {
        // EDGENET_BENCH_BLOBS=DIR keeps the blobs (and ONNX files) there for `edgenet bench --profile`.
        string? keep = Environment.GetEnvironmentVariable("EDGENET_BENCH_BLOBS");
        string dir = keep is { Length: > 0 } ? Directory.CreateDirectory(keep).FullName : Directory.CreateTempSubdirectory("edgenet-bench-").FullName;
        Console.WriteLine($"inference, {threads} thread(s); median microseconds per call");
        Console.WriteLine($"{"model",-10}{"batch",6}{"edgenet f32",14}{"edgenet int8",14}{"onnxruntime",14}{"f32/ort",9}{"int8/ort",10}{"f32/int8",10}");
        foreach (var (name, make, sample, ids) in Models())
        {
            KerasBackend.SetRandomSeed(1);
            var model = make();
            int per = sample.Aggregate(1, (a, d) => a * d);
            var rng = new Random(2);
            var data = Enumerable.Range(0, 50 * per).Select(_ => ids > 0 ? rng.Next(ids) : (float)rng.NextDouble()).ToArray();
            model.Predict(EdgeNet.Trainer.Tensors.Tensor.FromArray(data.AsSpan(0, per).ToArray(), [1, .. sample]));
            string onnx = Path.Combine(dir, name + ".onnx");
            OnnxExporter.Export(model, onnx, sample, data.AsSpan(0, per).ToArray());
            var blobs = new Dictionary<QuantizationScheme, string>();
            foreach (var scheme in new[] { QuantizationScheme.F32, QuantizationScheme.Int8 })
            {
                blobs[scheme] = Path.Combine(dir, $"{name}-{scheme}.enb");
                ModelExporter.ExportSamples(model, blobs[scheme], new QuantizationOptions { Scheme = scheme }, [new NDArray(data, [50, .. sample])], new Dictionary<string, EnbValue>());
            }

            using var opts = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
            using var session = new InferenceSession(onnx, opts);
            foreach (int batch in new[] { 1, 50 })
            {
                var input = new DenseTensor<float>(data.AsMemory(0, batch * per), [batch, .. sample]);
                var inputs = new[] { NamedOnnxValue.CreateFromTensor("input", input) };
                var (f32, i8, ort) = EdgeAndOrt(blobs[QuantizationScheme.F32], blobs[QuantizationScheme.Int8], batch, threads, data, per, () =>
                {
                    using var r = session.Run(inputs);
                }, seconds);
                Console.WriteLine($"{name,-10}{batch,6}{f32,14:F1}{i8,14:F1}{ort,14:F1}{f32 / ort,9:F2}{i8 / ort,10:F2}{f32 / i8,10:F2}");
            }
        }

        if (keep is not { Length: > 0 })
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static IEnumerable<(string, Func<Model>, int[], int)> Models()
    {
        yield return ("mlp", () => new MLP(), [28, 28, 1], 0);
        yield return ("cnn", () => new CNN(), [28, 28, 1], 0);
        yield return ("char-lstm", () => new CharRNN(60), [40], 60);
    }

    /// <summary>
    /// The median µs of EdgeNet's f32 and int8 blobs and of ONNX Runtime (<paramref name="ort"/>: one run on the same
    /// data) over about 3 × <paramref name="seconds"/>, measured in alternated windows (24 rounds of f32, int8, ORT: a
    /// window of 2 s / 24 at `mobilenet 2`, shorter than the host's slow spells of a few seconds — this is a shared VM —
    /// so they fall on all three alike instead of on whichever ran then; six rounds had let one window decide). A window
    /// holds at least two calls, so a slow model (224² at batch 50: ~0.2 s a call) takes more than its budget. EdgeNet's
    /// input lives in the arena, whose bytes later operators reuse, so each call gets its input written back first
    /// (untimed), as an application writes each new frame: every call converts real data (an int8 model's quantize had
    /// read leftover int8 codes as floats, denormals among them, at a third of the speed).
    /// </summary>
    internal static (double F32, double Int8, double Ort) EdgeAndOrt(string f32Blob, string int8Blob, int batch, int threads, float[] data, int per, Action ort, double seconds)
    {
        var (f32, int8, o, _) = EdgeAndOrtPaired(f32Blob, int8Blob, batch, threads, data, per, ort, seconds);
        return (f32, int8, o);
    }

    /// <summary>
    /// <see cref="EdgeAndOrt"/> plus f32/int8 as paired rounds give it: each round's ratio of the two windows' medians
    /// (a second apart at most, so in one state of the host), their median and range. This VM's slow spells slow the
    /// int8 kernels more than the f32 ones (+40% against +20% at 224²), so the ratio of the overall medians moves with
    /// the share of slow windows; the paired ratio and its range show both states.
    /// </summary>
    internal static (double F32, double Int8, double Ort, (double Median, double Min, double Max) SpeedUp) EdgeAndOrtPaired(string f32Blob, string int8Blob, int batch, int threads, float[] data, int per, Action ort, double seconds)
    {
        var options = new InterpreterOptions { MaxBatch = batch, Threads = threads };
        using var f = EdgeNet.Runtime.Interpreter.Load(f32Blob, options);
        using var q = EdgeNet.Runtime.Interpreter.Load(int8Blob, options);
        var m = Alternated(seconds * 3, 24, out var rounds,
            (() => f.Invoke(batch), () => data.AsSpan(0, batch * per).CopyTo(f.Input(batch))),
            (() => q.Invoke(batch), () => data.AsSpan(0, batch * per).CopyTo(q.Input(batch))),
            (ort, null));
        var ratios = rounds.Select(r => r[0] / r[1]).Order().ToArray();
        return (m[0], m[1], m[2], (ratios[ratios.Length / 2], ratios[0], ratios[^1]));
    }

    /// <summary>
    /// Each subject's median µs over all its calls in <paramref name="rounds"/> rounds that give every subject, in turn,
    /// an equal window of <paramref name="seconds"/> in all; Before runs untimed before each call.
    /// </summary>
    internal static double[] Alternated(double seconds, int rounds, params (Action Run, Action? Before)[] subjects) => Alternated(seconds, rounds, out _, subjects);

    /// <summary>The same, with each round's window medians per subject in <paramref name="perRound"/> [round][subject].</summary>
    internal static double[] Alternated(double seconds, int rounds, out double[][] perRound, params (Action Run, Action? Before)[] subjects)
    {
        var times = subjects.Select(_ => new List<double>()).ToArray();
        perRound = new double[rounds][];
        foreach (var (run, before) in subjects)
        {
            for (int i = 0; i < 5; i++)
            {
                before?.Invoke();
                run();
            }
        }

        Settle();   // the last warm-up (ONNX Runtime's, where it is a subject) must not spin into round 0
        double window = seconds / rounds / subjects.Length;
        for (int r = 0; r < rounds; r++)
        {
            perRound[r] = new double[subjects.Length];
            for (int s = 0; s < subjects.Length; s++)
            {
                var (run, before) = subjects[s];
                var clock = Stopwatch.StartNew();
                int first = times[s].Count;
                for (int calls = 0; clock.Elapsed.TotalSeconds < window || calls < 2; calls++)
                {
                    before?.Invoke();
                    long t0 = Stopwatch.GetTimestamp();
                    run();
                    times[s].Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                }

                perRound[r][s] = Median(times[s].GetRange(first, times[s].Count - first));
                Settle();
            }
        }

        return times.Select(Median).ToArray();
    }

    /// <summary>
    /// Waits, untimed, until no thread of this process is left spinning from the window that just ended (at most half a
    /// second): ONNX Runtime's intra-op workers spin for tens of milliseconds after a run by default (2^20 pauses), and on
    /// a two-core host that spinner took a core from the next subject — EdgeNet f32 at 224² on two threads read 8.0 ms
    /// after ONNX Runtime's windows against 3.8 ms with its spinning off. ONNX Runtime keeps its default (spinning) inside
    /// its own window.
    /// </summary>
    private static void Settle()
    {
        // Environment.CpuUsage is getrusage's (microseconds); Process.TotalProcessorTime counts 10 ms clock ticks on
        // Linux, too coarse for a 5 ms sample.
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 500)
        {
            var before = Environment.CpuUsage.TotalTime;
            Thread.Sleep(5);
            if ((Environment.CpuUsage.TotalTime - before).TotalMilliseconds < 1)
            {
                return;
            }
        }
    }

    /// <summary>The median (of an even count, the mean of the middle two: a batch-50 window may hold only two calls).</summary>
    private static double Median(List<double> t)
    {
        t.Sort();
        return t.Count % 2 == 1 ? t[t.Count / 2] : (t[(t.Count / 2) - 1] + t[t.Count / 2]) / 2;
    }
}
