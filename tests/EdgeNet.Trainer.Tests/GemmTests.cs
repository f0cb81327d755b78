using EdgeNet.Kernels.Simd;
using EdgeNet.Trainer.Backends.Cpu;

namespace EdgeNet.Trainer.Tests;

/// <summary>The packed SIMD GEMM against a naive double-precision triple loop, on every code path.</summary>
[TestClass]
public sealed class GemmTests
{
    private static float[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
    }

    private static void CheckOne(bool ta, bool tb, int m, int n, int k, float alpha, float beta, int threads)
    {
        var a = Rand(m * k, m + k);
        var b = Rand(k * n, n + k + 1);
        var c0 = Rand(m * n, m + n + 2);
        var c = (float[])c0.Clone();
        int lda = ta ? m : k, ldb = tb ? k : n;
        int saved = Gemm.MaxThreads;
        Gemm.MaxThreads = threads;
        try
        {
            Gemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
        }
        finally
        {
            Gemm.MaxThreads = saved;
        }

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = ta ? a[(p * lda) + i] : a[(i * lda) + p];
                    double bv = tb ? b[(j * ldb) + p] : b[(p * ldb) + j];
                    s += av * bv;
                }

                double expected = (alpha * s) + (beta == 0 ? 0 : beta * c0[(i * n) + j]);
                double tol = 1e-5 * k + 1e-5;
                Assert.AreEqual(expected, c[(i * n) + j], tol, $"{(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')} m={m} n={n} k={k} threads={threads} at [{i},{j}]");
            }
        }
    }

    [TestMethod]
    public void Odd_shapes_every_transpose_serial()
    {
        foreach (int m in new[] { 1, 3, 17, 33 })
        {
            foreach (int n in new[] { 1, 5, 31, 33 })
            {
                foreach (int k in new[] { 1, 7, 127 })
                {
                    foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
                    {
                        CheckOne(ta, tb, m, n, k, 1f, 0f, 1);
                    }
                }
            }
        }
    }

    [TestMethod]
    public void Alpha_beta_and_the_threaded_row_column_and_depth_splits()
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            CheckOne(ta, tb, 301, 67, 260, 0.5f, 1.5f, 2);   // rows split
            CheckOne(ta, tb, 20, 300, 290, 1f, 1f, 2);       // columns split
            CheckOne(ta, tb, 25, 32, 3000, 1f, 0f, 2);       // depth split with KC 256; serial, six depth blocks with KC 512
            CheckOne(ta, tb, 25, 32, 4500, 1f, 0f, 2);       // depth split (a weight gradient) with KC 512 too
            CheckOne(ta, tb, 97, 1100, 300, -1f, 0f, 3);     // more than one NC block, three threads
            CheckOne(ta, tb, 1, 300, 257, 0.5f, 1.5f, 2);    // one row: the unpacked GEMV path
        }
    }

    [TestMethod]
    public void Zero_depth_scales_c_by_beta()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, [], 0 + 1, [], 2, 0.5f, c, 2);
        CollectionAssert.AreEqual(new float[] { 0.5f, 1, 1.5f, 2 }, c);
    }
}
