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
        double seconds = args.Length > 1 && double.TryParse(args[1], NumberStyles.Float, Inv, out double sec) ? sec : 3;
        if (what == "profile-cnn")
        {
            Profile.Cnn();
            return 0;
        }

        if (what == "dqn-int8")
        {
            foreach (string path in args.Skip(1))
            {
                DqnInt8.Print(path);
            }

            return 0;
        }

        if (what == "clgemm")
        {
            // clgemm M N K [tA] [tB]: one OpenCL GEMM shape, for tuning (EDGENET_CL_PROFILE=1 adds the per-kernel split).
            ClGemmShape(int.Parse(args[1], Inv), int.Parse(args[2], Inv), int.Parse(args[3], Inv), args.Contains("tA"), args.Contains("tB"));
            return 0;
        }

        if (what == "fleet" && OperatingSystem.IsLinux())
        {
            // fleet [SECONDS]: transitions/s and end-to-end latency through a real Mosquitto with 1, 4 and 16 boards.
            FleetThroughput.Run(seconds).GetAwaiter().GetResult();
            return 0;
        }

        if (what == "imported-fashion")
        {
            // imported-fashion F.onnx [LIMIT]: a model PyTorch trained on Fashion-MNIST: top-1 of ONNX Runtime and of the f32/int8 blobs, agreement.
            ImportedInference.Accuracy(args[1], args.Length > 2 ? int.Parse(args[2], Inv) : 10_000);
            return 0;
        }

        if (what == "imported")
        {
            // imported F.onnx [SECONDS]: an ONNX file on the runtime (f32, f16, int8) against ONNX Runtime on the same file.
            ImportedInference.Run(args[1], args.Length > 2 ? double.Parse(args[2], Inv) : 2);
            return 0;
        }

        if (what == "ort-profile")
        {
            // ort-profile F.onnx [threads]: ONNX Runtime's own per-node times at batch 1 (its profiler), summed by node.
            if (args.Length < 2 || !File.Exists(args[1]))
            {
                Console.Error.WriteLine("usage: ort-profile F.onnx [threads] (the ONNX file must exist)");
                return 2;
            }

            MobileNetInference.OrtProfile(args[1], args.Length > 2 ? int.Parse(args[2], Inv) : 1);
            return 0;
        }

        if (what == "mobilenet")
        {
            // mobilenet [SECONDS] [a1.00|a0.35]: MobileNetV2 inference against ONNX Runtime.
            MobileNetInference.Run(seconds, args.Length > 2 ? args[2] : null);
            return 0;
        }

        if (what is "inference" or "all")
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Inference.Run(threads, seconds / 3);
            }
        }

        if (what is "gemm" or "all")
        {
            GemmBench(1024, seconds);
        }

        if (what is "dqn" or "all")
        {
            // The step runs on one thread (the trainer's DQN default): judged against the 1-thread SGEMM rate.
            Dqn.Print(seconds, GemmBench(1024, 1)[0]);
        }

        if (what is "opencl" or "all")
        {
            OpenClBench(seconds);
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

    /// <summary>SGEMM 1024³ and the chapter models' training steps/s on the first OpenCL device.</summary>
    private static void OpenClBench(double seconds)
    {
        if (EdgeNet.Trainer.Backends.OpenCL.OpenClDevices.List().Count == 0)
        {
            Console.WriteLine("opencl: no platform");
            return;
        }

        using var cl = EdgeNet.Trainer.Backends.OpenCL.OpenClBackend.Create();
        const int N = 1024;
        double ms = ClGemmMilliseconds(cl, N, N, N, false, false, windows: 1, seconds / 2);
        Console.WriteLine($"opencl sgemm {N}^3 on {cl.Device.Name}: {2.0 * N * N * N / ms / 1e6:F1} GFLOP/s");
        using (EdgeNet.Trainer.Backends.Device.Use(cl))
        {
            Console.WriteLine($"opencl mlp train steps/s (b50): {TrainSteps(new MLP(), [50, 28, 28, 1], 10, seconds):F1}");
            Console.WriteLine($"opencl cnn train steps/s (b50): {TrainSteps(new CNN(), [50, 28, 28, 1], 10, seconds):F2}");
            Console.WriteLine($"opencl char-lstm train steps/s (b50): {TrainSteps(new CharRNN(60), [50, 40], 60, seconds):F2}");
        }
    }

    private static void ClGemmShape(int m, int n, int k, bool ta, bool tb)
    {
        using var cl = EdgeNet.Trainer.Backends.OpenCL.OpenClBackend.Create();
        double ms = ClGemmMilliseconds(cl, m, n, k, ta, tb, windows: 7, 0.25);   // best of seven: this shared VM is noisy
        Console.WriteLine($"opencl gemm {m}x{n}x{k}{(ta ? " tA" : "")}{(tb ? " tB" : "")}: {ms:F2} ms, {2.0 * m * n * k / ms / 1e6:F1} GFLOP/s");
    }

    /// <summary>One OpenCL GEMM of random operands: milliseconds per call, the best of <paramref name="windows"/> timing windows.</summary>
    private static double ClGemmMilliseconds(EdgeNet.Trainer.Backends.OpenCL.OpenClBackend cl, int m, int n, int k, bool ta, bool tb, int windows, double seconds)
    {
        var rng = new Random(1);
        var a = cl.Allocate(m * k);
        var b = cl.Allocate(k * n);
        var c = cl.Allocate(m * n);
        cl.Upload(Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble()).ToArray(), a);
        cl.Upload(Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble()).ToArray(), b);
        double ms = BestMilliseconds(() =>
        {
            cl.Gemm(ta, tb, m, n, k, 1, a, b, 0, c);
            cl.Finish();
        }, windows, seconds);
        a.Release();
        b.Release();
        c.Release();
        return ms;
    }

    /// <summary>Milliseconds per call of <paramref name="call"/> after a warm-up: the best mean of several windows of at least <paramref name="seconds"/> (and two calls) each.</summary>
    private static double BestMilliseconds(Action call, int windows, double seconds)
    {
        for (int i = 0; i < 3; i++)
        {
            call();
        }

        double best = double.MaxValue;
        for (int window = 0; window < windows; window++)
        {
            var sw = Stopwatch.StartNew();
            int reps = 0;
            while (sw.Elapsed.TotalSeconds < seconds || reps < 2)
            {
                call();
                reps++;
            }

            best = Math.Min(best, sw.Elapsed.TotalMilliseconds / reps);
        }

        return best;
    }

    /// <summary>
    /// SGEMM n³ on 1 and all threads; returns the GFLOP/s of each (the median window). The FMA
    /// roofline is measured in alternation with the GEMM, window by window, so a shared VM's speed
    /// changes (±30% here within minutes) move both; the ratio printed is the median of the
    /// per-window ratios, with the best window beside it.
    /// </summary>
    private static double[] GemmBench(int n, double seconds)
    {
        var rates = new List<double>();
        var rng = new Random(1);
        float[] a = Enumerable.Range(0, n * n).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] b = Enumerable.Range(0, n * n).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] c = new float[n * n];
        foreach (int threads in new[] { 1, Environment.ProcessorCount })
        {
            EdgeNet.Kernels.Simd.Gemm.MaxThreads = threads;
            int windows = Math.Max(3, (int)(seconds / 0.3));
            var gflops = new List<double>();
            var ratios = new List<double>();
            var peaks = new List<double>();
            for (int w = 0; w < windows; w++)
            {
                double peak = MeasureFmaPeak(0.15) * threads;
                double ms = BestMilliseconds(() => EdgeNet.Kernels.Simd.Gemm.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n), windows: 1, 0.15);
                double rate = 2.0 * n * n * n / ms / 1e6;
                gflops.Add(rate);
                peaks.Add(peak);
                ratios.Add(rate / peak);
            }

            double median = Median(gflops), medianRatio = Median(ratios);
            Console.WriteLine($"sgemm {n}^3 {EdgeNet.Kernels.Simd.Gemm.KernelName} threads={threads}: {median:F1} GFLOP/s = {medianRatio:P0} of the FMA roofline ({Median(peaks):F0} GFLOP/s), median of {windows} alternated windows; best window {gflops.Max():F1} GFLOP/s = {ratios.Max():P0}");
            rates.Add(median);
        }

        EdgeNet.Kernels.Simd.Gemm.MaxThreads = Environment.ProcessorCount;
        return [.. rates];
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>
    /// The machine's FMA peak, measured: independent Vector512 (or Vector256) FMA chains with no
    /// memory traffic, per thread, times threads.
    /// </summary>
    /// <summary>
    /// Single-thread FMA GFLOP/s: independent chains, no memory traffic, one continuous run of about
    /// <paramref name="seconds"/> (as long as a GEMM window, so both see the same clock: short bursts
    /// read up to 15% higher here, before the core settles at its sustained AVX-512 frequency).
    /// </summary>
    internal static double MeasureFmaPeak(double seconds)
    {
        int lanes = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 16 : 8;
        long t0 = Stopwatch.GetTimestamp();
        float sink = FmaChains(1_000_000);
        int iters = (int)Math.Clamp(1_000_000 * seconds / Stopwatch.GetElapsedTime(t0).TotalSeconds, 1e6, 2e9);
        t0 = Stopwatch.GetTimestamp();
        sink += FmaChains(iters);
        double secs = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return (2.0 * 8 * lanes * iters / secs / 1e9) + (sink == 12345 ? 1e-9 : 0);
    }

    private static float FmaChains(int iters)
    {
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            var a = System.Runtime.Intrinsics.Vector512.Create(1.0001f);
            var b = System.Runtime.Intrinsics.Vector512.Create(0.9999f);
            System.Runtime.Intrinsics.Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            for (int i = 0; i < iters; i++)
            {
                c0 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a, c0, b); c1 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a, c1, b);
                c2 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a, c2, b); c3 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a, c3, b);
                c4 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a, c4, b); c5 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a, c5, b);
                c6 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a, c6, b); c7 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a, c7, b);
            }

            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7)[0];
        }

        var x = System.Runtime.Intrinsics.Vector256.Create(1.0001f);
        var y = System.Runtime.Intrinsics.Vector256.Create(0.9999f);
        System.Runtime.Intrinsics.Vector256<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default;
        for (int i = 0; i < iters; i++)
        {
            d0 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(x, d0, y); d1 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(x, d1, y);
            d2 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(x, d2, y); d3 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(x, d3, y);
            d4 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(x, d4, y); d5 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(x, d5, y);
            d6 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(x, d6, y); d7 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(x, d7, y);
        }

        return (d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7)[0];
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
