using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>A model trained by the trainer, exported, then run by the runtime on the real digits test split.</summary>
[TestClass]
[DoNotParallelize] // trains with the process-wide seed; other classes would draw from it concurrently
public sealed class EndToEndTests
{
    private static (MLP Model, DatasetSplit Data) s_trained;

    [ClassInitialize]
    public static void Train(TestContext _)
    {
        KerasBackend.SetRandomSeed(21);
        var data = Datasets.LoadDigits();
        var model = new MLP();
        ChapterLoop.TrainRandomBatches(model, data.Train, steps: 400, batchSize: 50, learningRate: 1e-3f, seed: 21);
        s_trained = (model, data);
    }

    private static int[] TrainerTop1(MLP model, ImageDataset test)
    {
        var probs = model.Predict(new NDArray(test.Images, test.Count, 28, 28, 1), batchSize: 100);
        return Enumerable.Range(0, test.Count).Select(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probs.Data.AsSpan(i * 10, 10))).ToArray();
    }

    private static int[] RuntimeTop1(string path, ImageDataset test, KernelVariant variant)
    {
        using var it = Interp.Load(path, new InterpreterOptions { MaxBatch = 100, Variant = variant });
        var top = new int[test.Count];
        for (int s = 0; s < test.Count; s += 100)
        {
            int n = Math.Min(100, test.Count - s);
            test.Images.AsSpan(s * 784, n * 784).CopyTo(it.Input(n));
            it.Invoke(n);
            var y = it.Output(n);
            for (int i = 0; i < n; i++)
            {
                top[s + i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(y.Slice(i * 10, 10));
            }
        }

        return top;
    }

    [TestMethod]
    [DataRow(QuantizationScheme.F32, 1.0)]
    [DataRow(QuantizationScheme.F16, 0.999)]
    [DataRow(QuantizationScheme.Int8, 0.995)]
    public void Runtime_top1_agrees_with_the_trainer_on_the_digits_test_split(QuantizationScheme scheme, double minAgreement)
    {
        var (model, data) = s_trained;
        string path = Path.Combine(Path.GetTempPath(), $"e2e-{scheme}-{Guid.NewGuid():N}.enb");
        try
        {
            var report = ModelExporter.Export(model, path, new QuantizationOptions { Scheme = scheme, CalibrationSamples = 300 }, data, (net, test) => ChapterLoop.Accuracy(net, test));
            Assert.IsGreaterThan(0.90, report.FloatAccuracy!.Value, "the briefly trained MLP is a real classifier");
            var trainer = TrainerTop1(model, data.Test);
            foreach (var variant in new[] { KernelVariant.Simd, KernelVariant.Reference })
            {
                var runtime = RuntimeTop1(path, data.Test, variant);
                double agreement = trainer.Zip(runtime).Count(t => t.First == t.Second) / (double)trainer.Length;
                Assert.IsGreaterThanOrEqualTo(minAgreement, agreement, $"{scheme} {variant}: top-1 agreement {agreement:P2}");
                double acc = runtime.Zip(data.Test.Labels).Count(t => t.First == t.Second) / (double)runtime.Length;
                // int8 is integer-exact; float paths may differ by a near-tie sample (float vs double sums).
                double tol = scheme == QuantizationScheme.Int8 ? 1e-9 : 1.0 / data.Test.Count + 1e-9;
                Assert.AreEqual(report.QuantizedAccuracy!.Value, acc, tol, "the runtime's accuracy equals the accuracy the exporter measured");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Invoke_allocates_nothing_and_the_arena_is_shared()
    {
        var (model, data) = s_trained;
        string path = Path.Combine(Path.GetTempPath(), $"alloc-{Guid.NewGuid():N}.enb");
        try
        {
            ModelExporter.Export(model, path, QuantizationOptions.Int8, data, (net, test) => ChapterLoop.Accuracy(net, test), evalLimit: 100);
            foreach (var variant in new[] { KernelVariant.Simd, KernelVariant.Reference })
            {
                using var it = Interp.Load(path, new InterpreterOptions { MaxBatch = 8, Variant = variant });
                data.Test.Images.AsSpan(0, 8 * 784).CopyTo(it.Input(8));
                for (int i = 0; i < 50; i++)
                {
                    it.Invoke(8);
                    it.Invoke(1);
                }

                long least = LeastAllocated(() =>
                {
                    for (int i = 0; i < 100; i++)
                    {
                        it.Invoke(8);
                        it.Invoke(1);
                    }
                });
                Assert.AreEqual(0, least, $"{variant}: bytes allocated by 200 Invokes (the least of 5 windows)");
                Assert.IsLessThan(it.UnsharedBytes, it.ArenaBytes, "buffers with disjoint lifetimes share memory");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Bytes this thread allocates in <paramref name="window"/>, the least of five tries. The runtime's own work
    /// (a tier-1 recompile landing, an OSR transition) is sometimes counted on the measuring thread once, on a loaded
    /// machine (dotnet/runtime#63487); code that allocates per call does so in every window, so the least is its cost.
    /// </summary>
    private static long LeastAllocated(Action window)
    {
        long least = long.MaxValue;
        for (int t = 0; t < 5 && least > 0; t++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            window();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
