using System.Diagnostics;
using EdgeNet.Trainer.Backends.Cpu;

int n = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1024;
var rng = new Random(1);
float[] a = Enumerable.Range(0, n * n).Select(_ => (float)rng.NextDouble()).ToArray();
float[] b = Enumerable.Range(0, n * n).Select(_ => (float)rng.NextDouble()).ToArray();
float[] c = new float[n * n];
foreach (int threads in new[] { 1, 2 })
{
    Gemm.MaxThreads = threads;
    Gemm.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
    var sw = Stopwatch.StartNew();
    int reps = 0;
    while (sw.Elapsed.TotalSeconds < 2) { Gemm.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n); reps++; }
    Console.WriteLine($"{Gemm.KernelName} threads={threads}: {2.0 * n * n * n * reps / sw.Elapsed.TotalSeconds / 1e9:F1} GFLOP/s");
}
