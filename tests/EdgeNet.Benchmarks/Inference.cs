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
                double f32 = Edge(blobs[QuantizationScheme.F32], batch, threads, data, per, seconds);
                double i8 = Edge(blobs[QuantizationScheme.Int8], batch, threads, data, per, seconds);
                var input = new DenseTensor<float>(data.AsMemory(0, batch * per), [batch, .. sample]);
                var inputs = new[] { NamedOnnxValue.CreateFromTensor("input", input) };
                double ort = Median(() =>
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
    /// The median µs of EdgeNet's Invoke on <paramref name="data"/>. The input lives in the arena, whose bytes later
    /// operators reuse, so each call gets its input written back first (untimed), as an application writes each new
    /// frame: every call then converts real data (an int8 model's quantize once read leftover int8 codes as floats,
    /// denormals among them, at a third of the speed).
    /// </summary>
    internal static double Edge(string blob, int batch, int threads, float[] data, int per, double seconds)
    {
        using var it = EdgeNet.Runtime.Interpreter.Load(blob, new InterpreterOptions { MaxBatch = batch, Threads = threads });
        return Median(() => it.Invoke(batch), seconds, () => data.AsSpan(0, batch * per).CopyTo(it.Input(batch)));
    }

    /// <summary>The median µs of <paramref name="a"/> over about <paramref name="seconds"/>, <paramref name="before"/> run untimed before each call.</summary>
    internal static double Median(Action a, double seconds, Action? before = null)
    {
        for (int i = 0; i < 5; i++)
        {
            before?.Invoke();
            a();
        }

        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || times.Count < 7)
        {
            before?.Invoke();
            long t0 = Stopwatch.GetTimestamp();
            a();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
