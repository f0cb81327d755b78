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
/// difference relative to the output's range), then the time per Invoke at batch 1 and 50, 1 and 2 threads. int8 is
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
                foreach (int batch in new[] { 1, 50 })
                {
                    var inputs = new[] { NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(nchw.AsMemory(0, batch * per), [batch, s[2], s[0], s[1]])) };
                    var (f32, i8, ort) = Inference.EdgeAndOrt(blobs[QuantizationScheme.F32], blobs[QuantizationScheme.Int8], batch, threads, nhwc, per, () =>
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

    /// <summary>
    /// A model trained in PyTorch on Fashion-MNIST (../shared/peers/pytorch_mobilenet_v2.py --onnx F): imported, exported f32
    /// and int8 (calibrated on 512 training images), run on the runtime over the first <paramref name="limit"/> test images,
    /// each fed exactly as ONNX Runtime is fed (resized bilinear, grey as RGB, x/127.5 − 1: the peer's preprocessing):
    /// top-1 of ONNX Runtime on the file (PyTorch's model), of each blob, and each blob's top-1 agreement with it.
    /// </summary>
    public static void Accuracy(string onnx, int limit)
    {
        string dir = Directory.CreateTempSubdirectory("edgenet-bench-accuracy-").FullName;
        try
        {
            var import = OnnxImporter.Import(onnx);
            int[] s = import.InputShape;
            var pipeline = new EdgeNet.Formats.Data.ImagePipeline(s[0], s[1], 3, EdgeNet.Formats.Data.ColorMode.GreyAsRgb, EdgeNet.Formats.Data.ResizeMode.Bilinear, 1f / 127.5f, -1f);
            var (train, test) = EdgeNet.Trainer.Models.MobileNetTraining.LoadImages("fashion", pipeline);
            int n = Math.Min(limit, test.Count), per = s[0] * s[1] * s[2];
            var blobs = new Dictionary<QuantizationScheme, string>();
            var calibration = Enumerable.Range(0, 8).Select(b => new EdgeNet.Trainer.Tensors.NDArray(train.Inputs(b * 64, 64), 64, s[0], s[1], s[2])).ToList();
            foreach (var scheme in new[] { QuantizationScheme.F32, QuantizationScheme.Int8 })
            {
                blobs[scheme] = Path.Combine(dir, $"m-{scheme}.enb");
                ModelExporter.ExportSamples(import.Model, blobs[scheme], new QuantizationOptions { Scheme = scheme, CalibrationSamples = 512 }, calibration, new Dictionary<string, EnbValue>());
            }

            var ort = new int[n];
            var edge = blobs.ToDictionary(b => b.Key, _ => new int[n]);
            using (var session = new InferenceSession(onnx))
            {
                string name = session.InputMetadata.Keys.First();
                var its = blobs.ToDictionary(b => b.Key, b => Interpreter.Load(b.Value, new InterpreterOptions { MaxBatch = 50 }));
                try
                {
                    for (int start = 0; start < n; start += 50)
                    {
                        int k = Math.Min(50, n - start);
                        float[] nhwc = test.Inputs(start, k), nchw = new float[nhwc.Length];
                        for (int i = 0; i < k; i++)
                        {
                            for (int p = 0; p < s[0] * s[1]; p++)
                            {
                                for (int c = 0; c < 3; c++)
                                {
                                    nchw[(i * per) + (c * s[0] * s[1]) + p] = nhwc[(i * per) + (p * 3) + c];
                                }
                            }
                        }

                        using (var r = session.Run([NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(nchw, [k, 3, s[0], s[1]]))]))
                        {
                            Top1(r[0].AsEnumerable<float>().ToArray(), k, ort, start);
                        }

                        foreach (var (scheme, it) in its)
                        {
                            nhwc.CopyTo(it.Input(k));
                            it.Invoke(k);
                            Top1(it.Output(k).ToArray(), k, edge[scheme], start);
                        }
                    }
                }
                finally
                {
                    foreach (var it in its.Values)
                    {
                        it.Dispose();
                    }
                }
            }

            int[] labels = test.Dataset.Labels;
            double Acc(int[] p) => p.Where((c, i) => c == labels[i]).Count() / (double)n;
            Console.Write($"{Path.GetFileName(onnx)} on {n} Fashion-MNIST test images: ONNX Runtime (PyTorch's model) top-1 {Acc(ort):P2}");
            foreach (var (scheme, p) in edge)
            {
                double agree = p.Where((c, i) => c == ort[i]).Count() / (double)n;
                Console.Write($"; edgenet {scheme.ToString().ToLowerInvariant()} {Acc(p):P2} (agrees with ONNX Runtime on {agree:P2})");
            }

            Console.WriteLine();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // y: [k, classes]; top[start + i] = argmax y[i]
    private static void Top1(float[] y, int k, int[] top, int start)
    {
        int classes = y.Length / k;
        for (int i = 0; i < k; i++)
        {
            top[start + i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(y.AsSpan(i * classes, classes));
        }
    }
}
