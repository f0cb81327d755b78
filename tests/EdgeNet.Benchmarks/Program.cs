using System.Diagnostics;
using System.Globalization;
using EdgeNet.Trainer.Backends.Cpu;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Losses;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Benchmarks;

public static class Program
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Main(string[] args)
    {
        string what = args.Length > 0 ? args[0] : "all";
        double seconds = args.Length > 1 ? double.Parse(args[1], Inv) : 3;
        if (what == "profile-cnn")
        {
            Profile.Cnn();
            return 0;
        }

        if (what is "gemm" or "all")
        {
            GemmBench(1024, seconds);
        }

        if (what is "train" or "all" or "mlp")
        {
            Console.WriteLine($"mlp train steps/s (b50): {TrainSteps(new MLP(), [50, 28, 28, 1], 10, seconds):F1}");
        }

        if (what is "train" or "all" or "cnn")
        {
            Console.WriteLine($"cnn train steps/s (b50): {TrainSteps(new CNN(), [50, 28, 28, 1], 10, seconds):F2}");
        }

        if (what is "train" or "all" or "lstm")
        {
            Console.WriteLine($"char-lstm train steps/s (b50): {TrainSteps(new CharRNN(60), [50, 40], 60, seconds):F2}");
        }

        return 0;
    }

    private static void GemmBench(int n, double seconds)
    {
        var rng = new Random(1);
        float[] a = Enumerable.Range(0, n * n).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] b = Enumerable.Range(0, n * n).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] c = new float[n * n];
        foreach (int threads in new[] { 1, Environment.ProcessorCount })
        {
            Gemm.MaxThreads = threads;
            Gemm.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
            var sw = Stopwatch.StartNew();
            int reps = 0;
            while (sw.Elapsed.TotalSeconds < seconds / 2)
            {
                Gemm.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
                reps++;
            }

            Console.WriteLine($"sgemm {n}^3 {Gemm.KernelName} threads={threads}: {2.0 * n * n * n * reps / sw.Elapsed.TotalSeconds / 1e9:F1} GFLOP/s");
        }

        Gemm.MaxThreads = Environment.ProcessorCount;
    }

    /// <summary>Median-free simple figure: steps per second of TrainOnBatch on fixed random data after warm-up.</summary>
    private static double TrainSteps(Model model, int[] xShape, int classes, double seconds)
    {
        KerasBackend.SetRandomSeed(0);
        var rng = new Random(0);
        int n = xShape.Aggregate(1, (p, d) => p * d);
        float[] x = classes == 60 && xShape.Length == 2
            ? Enumerable.Range(0, n).Select(_ => (float)rng.Next(classes)).ToArray()
            : Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] y = Enumerable.Range(0, xShape[0]).Select(_ => (float)rng.Next(classes)).ToArray();
        model.Compile(new Adam(1e-3f), new SparseCategoricalCrossentropy());
        var xt = Tensor.FromArray(x, xShape);
        var yt = Tensor.FromArray(y, xShape[0]);
        for (int i = 0; i < 3; i++)
        {
            model.TrainOnBatch(xt, yt);
        }

        var sw = Stopwatch.StartNew();
        int steps = 0;
        while (sw.Elapsed.TotalSeconds < seconds || steps < 5)
        {
            model.TrainOnBatch(xt, yt);
            steps++;
        }

        return steps / sw.Elapsed.TotalSeconds;
    }
}
