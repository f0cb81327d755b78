using System.Diagnostics;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Backends.Cpu;

namespace EdgeNet.Benchmarks;

/// <summary>Times the CNN's individual kernels at batch 50 (where a training step spends its time).</summary>
internal static class Profile
{
    public static void Cnn()
    {
        var be = CpuBackend.Instance;
        void Time(string name, Action a)
        {
            a();
            var sw = Stopwatch.StartNew();
            int n = 0;
            while (sw.ElapsedMilliseconds < 500)
            {
                a();
                n++;
            }

            Console.WriteLine($"{name,-28} {sw.Elapsed.TotalMilliseconds / n,8:F3} ms");
        }

        Storage R(int n)
        {
            var s = be.Allocate(n);
            var rng = new Random(n);
            var d = new float[n];
            for (int i = 0; i < n; i++)
            {
                d[i] = (float)rng.NextDouble() - 0.5f;
            }

            be.Upload(d, s);
            return s;
        }

        var g1 = Conv2DGeometry.Create(50, 28, 28, 1, 5, 5, 32, 1, 1, true);
        var g2 = Conv2DGeometry.Create(50, 14, 14, 32, 5, 5, 64, 1, 1, true);
        var p1 = Conv2DGeometry.Create(50, 28, 28, 32, 2, 2, 32, 2, 2, false);
        var x1 = R(g1.InputSize); var w1 = R(g1.KernelSize); var y1 = R(g1.OutputSize);
        var x2 = R(g2.InputSize); var w2 = R(g2.KernelSize); var y2 = R(g2.OutputSize); var dx2 = R(g2.InputSize); var dw2 = R(g2.KernelSize);
        var py = R(p1.OutputSize); var pdx = R(p1.InputSize);
        Time("conv1 fwd", () => be.Conv2DForward(g1, x1, w1, y1));
        Time("conv1 bwd filter", () => be.Conv2DBackwardFilter(g1, x1, y1, w1));
        Time("conv2 fwd", () => be.Conv2DForward(g2, x2, w2, y2));
        Time("conv2 bwd data", () => be.Conv2DBackwardData(g2, y2, w2, dx2));
        Time("conv2 bwd filter", () => be.Conv2DBackwardFilter(g2, x2, y2, dw2));
        Time("pool1 fwd", () => be.MaxPoolForward(p1, y1, py));
        Time("pool1 bwd", () => be.MaxPoolBackward(p1, y1, py, py, pdx));
        Time("relu fwd 1.25M", () => be.ActivationForward(Activation.Relu, y1, y1, g1.OutputSize));
        Time("relu bwd 1.25M", () => be.ActivationBackward(Activation.Relu, y1, y1, pdx, g1.OutputSize));
        Time("bias add conv1", () => be.AddBias(y1, R(32), y1, 39200, 32));
        Time("bias grad conv1", () => be.BiasGrad(y1, R(32), 39200, 32, false));
        var a = R(50 * 3136); var k = R(3136 * 1024); var o = R(50 * 1024); var dk = R(3136 * 1024);
        Time("dense1 fwd", () => be.Gemm(false, false, 50, 1024, 3136, 1, a, k, 0, o));
        Time("dense1 dW", () => be.Gemm(true, false, 3136, 1024, 50, 1, a, o, 0, dk));
        Time("dense1 dx", () => be.Gemm(false, true, 50, 3136, 1024, 1, o, k, 0, a));
        var m = R(3136 * 1024); var v = R(3136 * 1024);
        Time("adam dense1", () => be.AdamUpdate(k, dk, m, v, 3136 * 1024, 1e-3f, 0.9f, 0.999f, 1e-7f));
        Time("nonfinite dense1", () => be.CountNonFinite(dk, 3136 * 1024));
    }
}
