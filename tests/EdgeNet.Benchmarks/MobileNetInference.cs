using System.Diagnostics;
using EdgeNet.Formats.Data;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime;
using EdgeNet.Trainer.Data;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Applications;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeNet.Benchmarks;

/// <summary>
/// MobileNetV2 inference (alpha 1.0 at 224x224, alpha 0.35 at 96x96) on the edge runtime, f32 and int8, beside ONNX
/// Runtime on the very same weights (the ONNX export), batch 1 and 50, 1 and 2 threads, in one run; the f32 time
/// against this core's FMA roofline (the MACs of the convolutions at two flops each), the int8 time against the int8
/// kernels' ceiling (<see cref="Int8Peak"/>: the pair multiply-add, or the VNNI quad panel), which also bounds int8 over f32;
/// arena against all activations.
/// Weights are random with BN statistics recomputed from random images, so the int8 ranges are realistic; the
/// accuracy is measured separately (scripts/bench-mobilenet.sh).
/// </summary>
internal static class MobileNetInference
{
    public static void Run(double seconds, string? only = null)
    {
        string dir = Directory.CreateTempSubdirectory("edgenet-bench-mnv2-").FullName;
        try
        {
            foreach (var (alpha, size, classes) in new[] { (1.0, 224, 1000), (0.35, 96, 10) })
            {
                string name = $"mobilenet_v2 a{alpha:0.00} {size}";
                if (only is not null && !name.Contains(only, StringComparison.Ordinal))
                {
                    continue;
                }

                KerasBackend.SetRandomSeed(1);
                var model = Applications.MobileNetV2([size, size, 3], alpha, classes: classes, classifierActivation: null);
                var rng = new Random(2);
                int per = size * size * 3;
                var images = new ImageDataset("random", Enumerable.Range(0, 64 * per).Select(_ => (float)rng.NextDouble()).ToArray(), new int[64], size, size, 3, Enumerable.Range(0, classes).Select(i => $"{i}").ToArray());
                var pipeline = ImagePipeline.MobileNet(size, ColorMode.Rgb);
                var batches = new ImageBatches(images, pipeline);
                model.RecalibrateBatchNormalization(batches, batches: 4, batchSize: 16);
                var data = batches.Inputs(0, 50);
                string onnx = Path.Combine(dir, "m.onnx");
                OnnxExporter.Export(model, onnx, [size, size, 3], data.AsSpan(0, per).ToArray());
                var blobs = new Dictionary<QuantizationScheme, string>();
                foreach (var scheme in new[] { QuantizationScheme.F32, QuantizationScheme.Int8 })
                {
                    blobs[scheme] = Path.Combine(dir, $"m-{scheme}.enb");
                    ModelExporter.ExportSamples(model, blobs[scheme], new QuantizationOptions { Scheme = scheme, CalibrationSamples = 32 },
                        [new EdgeNet.Trainer.Tensors.NDArray(batches.Inputs(0, 16), 16, size, size, 3), new EdgeNet.Trainer.Tensors.NDArray(batches.Inputs(16, 16), 16, size, size, 3)],
                        new Dictionary<string, EnbValue>());
                }

                if (Environment.GetEnvironmentVariable("EDGENET_BENCH_KEEP") is { Length: > 0 } keep)
                {
                    // The blobs for `edgenet bench --profile` (and the ONNX file for ORT's own tools).
                    Directory.CreateDirectory(keep);
                    string stem = $"mnv2-a{alpha:0.00}-{size}";
                    File.Copy(onnx, Path.Combine(keep, stem + ".onnx"), overwrite: true);
                    foreach (var (scheme, path) in blobs)
                    {
                        File.Copy(path, Path.Combine(keep, $"{stem}-{scheme}.enb".ToLowerInvariant()), overwrite: true);
                    }
                }

                long macs = Macs(blobs[QuantizationScheme.F32]);
                Console.WriteLine($"{name}: {model.CountParams():N0} parameters, {macs / 1e6:F1} M MACs per image; f32 blob {new FileInfo(blobs[QuantizationScheme.F32]).Length:N0} B, int8 {new FileInfo(blobs[QuantizationScheme.Int8]).Length:N0} B");
                using (var it = Interpreter.Load(blobs[QuantizationScheme.F32]))
                using (var q = Interpreter.Load(blobs[QuantizationScheme.Int8]))
                {
                    Console.WriteLine($"  arena at batch 1: f32 {it.ArenaBytes:N0} B, int8 {q.ArenaBytes:N0} B; every activation and scratch unshared: f32 {it.UnsharedBytes:N0} B, int8 {q.UnsharedBytes:N0} B");
                }

                double fmaMacs = Program.MeasureFmaPeak(0.2) / 2, pairMacs = Int8Peak.GigaMacs(0.2);
                Console.WriteLine($"  compute ceilings of one core, measured now: f32 FMA {fmaMacs:F1} G multiply-adds/s, int8 ({Int8Peak.Instruction}) {pairMacs:F1} G/s: int8 can beat f32 by at most {pairMacs / fmaMacs:F2}x where both are compute-bound");
                Console.WriteLine($"  {"threads",7}{"batch",6}{"edgenet f32 us",16}{"int8 us",12}{"ort us",12}{"f32/ort",9}{"int8/ort",10}{"f32/int8",10}{"paired (range)",22}{"f32 GFLOP/s",13}{"roofline",10}{"int8 roofline",15}");
                foreach (int threads in new[] { 1, 2 })
                {
                    using var opts = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
                    using var session = new InferenceSession(onnx, opts);
                    foreach (int batch in new[] { 1, 50 })
                    {
                        double budget = batch == 1 ? seconds : seconds * 2;
                        var input = new DenseTensor<float>(data.AsMemory(0, batch * per), [batch, size, size, 3]);
                        var inputs = new[] { NamedOnnxValue.CreateFromTensor("input", input) };
                        var (f32, i8, ort, paired) = Inference.EdgeAndOrtPaired(blobs[QuantizationScheme.F32], blobs[QuantizationScheme.Int8], batch, threads, data, per, () =>
                        {
                            using var r = session.Run(inputs);
                        }, budget);
                        double gflops = 2.0 * macs * batch / f32 / 1e3;
                        double peak = Program.MeasureFmaPeak(0.2) * threads, pairPeak = Int8Peak.GigaMacs(0.2) * threads;
                        double int8Macs = (double)macs * batch / i8 / 1e3;
                        Console.WriteLine($"  {threads,7}{batch,6}{f32,16:F0}{i8,12:F0}{ort,12:F0}{f32 / ort,9:F2}{i8 / ort,10:F2}{f32 / i8,10:F2}{$"{paired.Median:F2} ({paired.Min:F2}–{paired.Max:F2})",22}{gflops,13:F1}{gflops / peak,10:P0}{(pairPeak > 0 ? (int8Macs / pairPeak).ToString("P0", System.Globalization.CultureInfo.InvariantCulture) : "n/a"),15}");
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Multiply-accumulates of one image: every convolution, depthwise convolution and dense layer of the blob.</summary>
    private static long Macs(string blob)
    {
        using var r = BlobReader.Open(blob);
        var g = r.Graph!;
        long macs = 0;
        foreach (var op in g.Operators)
        {
            var y = g.Values[op.Outputs[0]];
            long outputs = 1;
            for (int d = 1; d < y.Dims.Count; d++)
            {
                outputs *= y.Dims[d];
            }

            if (op.Opcode is Opcode.Conv2D or Opcode.DepthwiseConv2D or Opcode.Dense)
            {
                var k = r.Tensors[op.WeightInputs()[0].Index];
                long perOutput = op.Opcode == Opcode.Dense ? k.Dims[0] : op.Opcode == Opcode.Conv2D ? k.Dims[0] * k.Dims[1] * k.Dims[2] : k.Dims[0] * k.Dims[1];
                macs += outputs * perOutput;
            }
        }

        return macs;
    }

    /// <summary>ONNX Runtime's profiler over 200 runs at batch 1: each node's mean µs in the order they run, and the total.</summary>
    public static void OrtProfile(string onnx, int threads)
    {
        string prefix = Path.Combine(Path.GetTempPath(), $"ort-profile-{Environment.ProcessId}");
        using var opts = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        opts.EnableProfiling = true;
        opts.ProfileOutputPathPrefix = prefix;
        using var session = new InferenceSession(onnx, opts);
        var meta = session.InputMetadata.First();
        int[] dims = meta.Value.Dimensions.Select(d => d < 0 ? 1 : d).ToArray();
        var data = new float[dims.Aggregate(1, (a, b) => a * b)];
        var rng = new Random(1);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)rng.NextDouble();
        }

        var inputs = new[] { NamedOnnxValue.CreateFromTensor(meta.Key, new DenseTensor<float>(data, dims)) };
        const int Runs = 200;
        for (int i = 0; i < Runs; i++)
        {
            using var r = session.Run(inputs);
        }

        string file = session.EndProfiling();
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
        var byNode = new Dictionary<string, (string Op, double Us)>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (e.GetProperty("cat").GetString() == "Node" && e.TryGetProperty("args", out var a) && a.TryGetProperty("op_name", out var op)
                && e.GetProperty("name").GetString() is { } name && name.EndsWith("_kernel_time", StringComparison.Ordinal))
            {
                string node = name[..^"_kernel_time".Length];
                var prev = byNode.GetValueOrDefault(node, (op.GetString()!, 0));
                byNode[node] = (prev.Item1, prev.Item2 + e.GetProperty("dur").GetDouble());
            }
        }

        File.Delete(file);
        double total = 0;
        foreach (var (node, (op, us)) in byNode)
        {
            Console.WriteLine($"{node,-48} {op,-20} {us / Runs,9:F1} us");
            total += us / Runs;
        }

        Console.WriteLine($"total {total:F1} us per run over {byNode.Count} nodes ({threads} thread(s))");
    }
}
