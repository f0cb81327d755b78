using EdgeNet.Formats.Enb;
using EdgeNet.Runtime;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Import;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeNet.Benchmarks;

/// <summary>
/// An ONNX file from elsewhere (scripts/onnx-zoo.py's torchvision exports) on the edge runtime beside ONNX Runtime on the
/// very same file, in one run: the blob's f32, f16 and int8 outputs against ONNX Runtime's on 8 random images (largest
/// difference relative to the output's range), then the time per Invoke at batch 1 and 8, 1 and 2 threads. int8 is
/// calibrated on 32 random images (random weights have no data of their own).
/// </summary>
internal static class ImportedInference
{
    public static void Run(string onnx, double seconds)
    {
        string dir = Directory.CreateTempSubdirectory("edgenet-bench-import-").FullName;
        try
        {
            var import = OnnxImporter.Import(onnx);
            int[] s = import.InputShape;   // [H, W, C]
            int per = s[0] * s[1] * s[2];
            var rng = new Random(3);
            float[] nhwc = Enumerable.Range(0, 50 * per).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
            float[] nchw = new float[nhwc.Length];
            for (int n = 0; n < 50; n++)
            {
                for (int i = 0; i < s[0] * s[1]; i++)
                {
                    for (int c = 0; c < s[2]; c++)
                    {
                        nchw[(n * per) + (c * s[0] * s[1]) + i] = nhwc[(n * per) + (i * s[2]) + c];
                    }
                }
            }

            var blobs = new Dictionary<QuantizationScheme, string>();
            foreach (var scheme in new[] { QuantizationScheme.F32, QuantizationScheme.F16, QuantizationScheme.Int8 })
            {
                blobs[scheme] = Path.Combine(dir, $"m-{scheme}.enb");
                ModelExporter.ExportSamples(import.Model, blobs[scheme], new QuantizationOptions { Scheme = scheme, CalibrationSamples = 32 },
                    [new EdgeNet.Trainer.Tensors.NDArray(nhwc.AsSpan(0, 32 * per).ToArray(), 32, s[0], s[1], s[2])], new Dictionary<string, EnbValue>());
            }

            using (var session = new InferenceSession(onnx))
            {
                string name = session.InputMetadata.Keys.First();
                using var r = session.Run([NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(nchw.AsMemory(0, 8 * per), [8, s[2], s[0], s[1]]))]);
                float[] ort = r[0].AsEnumerable<float>().ToArray();
                float range = ort.Max() - ort.Min();
                Console.Write($"{Path.GetFileName(onnx)}: {import.Model.CountParams():N0} parameters; against ONNX Runtime (8 images, relative to the output's range):");
                foreach (var (scheme, path) in blobs)
                {
                    using var it = Interpreter.Load(path, new InterpreterOptions { MaxBatch = 8 });
                    nhwc.AsSpan(0, 8 * per).CopyTo(it.Input(8));
                    it.Invoke(8);
                    var y = it.Output(8);
                    double worst = 0;
                    for (int i = 0; i < ort.Length; i++)
                    {
                        worst = Math.Max(worst, Math.Abs(y[i] - ort[i]) / range);
                    }

                    Console.Write($" {scheme.ToString().ToLowerInvariant()} {worst:E1} ({new FileInfo(path).Length:N0} B)");
                }

                Console.WriteLine();
            }

            Console.WriteLine($"  {"threads",7}{"batch",6}{"edgenet f32 us",16}{"int8 us",12}{"ort us",12}{"f32/ort",9}{"int8/ort",10}{"f32/int8",10}");
            foreach (int threads in new[] { 1, 2 })
            {
                using var opts = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
                using var session = new InferenceSession(onnx, opts);
                string name = session.InputMetadata.Keys.First();
                foreach (int batch in new[] { 1, 8 })
                {
                    double f32 = Edge(blobs[QuantizationScheme.F32], batch, threads, nhwc, per, seconds);
                    double i8 = Edge(blobs[QuantizationScheme.Int8], batch, threads, nhwc, per, seconds);
                    var inputs = new[] { NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(nchw.AsMemory(0, batch * per), [batch, s[2], s[0], s[1]])) };
                    double ort = Inference.Median(() =>
                    {
                        using var r = session.Run(inputs);
                    }, seconds);
                    Console.WriteLine($"  {threads,7}{batch,6}{f32,16:F0}{i8,12:F0}{ort,12:F0}{f32 / ort,9:F2}{i8 / ort,10:F2}{f32 / i8,10:F2}");
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Edge(string blob, int batch, int threads, float[] data, int per, double seconds)
    {
        using var it = Interpreter.Load(blob, new InterpreterOptions { MaxBatch = batch, Threads = threads });
        data.AsSpan(0, batch * per).CopyTo(it.Input(batch));
        return Inference.Median(() => it.Invoke(batch), seconds);
    }
}
