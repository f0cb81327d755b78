using EdgeNet.Formats.Enb;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// The int8 dense layer at batch 1, which on AVX-512 reads the int8 weights as stored (Int8Gemm.Gemv) instead of the
/// packed int16 pairs: exact against the reference kernels, also when two threads split its channels, and a layer it
/// cannot sum exactly keeps the pair kernels. On other instruction sets the same assertions hold through the pair kernels.
/// </summary>
[TestClass]
public sealed class Int8DenseOneRowTests
{
    /// <summary>A quantize → int8 dense → dequantize blob with unit activation scales and the given integer parts.</summary>
    private static string DenseBlob(int k, int n, sbyte[] kernel, int[] bias, int[] requant) =>
        Blob(w =>
        {
            w.AddTensor("k", ElementType.I8, [k, n], kernel.AsSpan(), QuantizationParams.PerChannel(1, Enumerable.Repeat(1f, n).ToArray()));
            w.AddTensor("b", ElementType.I32, [n], bias.AsSpan());
            w.AddTensor("rq", ElementType.I32, [2, n], requant.AsSpan());
            w.Graph = new GraphDef(
                [new ValueInfo("x", ElementType.F32, -1, k), new ValueInfo("xq", ElementType.I8, [-1, k], QuantizationParams.PerTensor(1f, 0)),
                 new ValueInfo("yq", ElementType.I8, [-1, n], QuantizationParams.PerTensor(1f, 0)), new ValueInfo("y", ElementType.F32, -1, n)],
                [0], [3],
                [new OperatorDef(Opcode.Quantize, [TensorRef.Value(0)], [1], []),
                 new OperatorDef(Opcode.Dense, [TensorRef.Value(1), TensorRef.Weight(0), TensorRef.Weight(1), TensorRef.Weight(2)], [2], []),
                 new OperatorDef(Opcode.Dequantize, [TensorRef.Value(2)], [3], [])]);
        });

    private static string Blob(Action<BlobWriter> build)
    {
        var w = new BlobWriter();
        build(w);
        string path = Path.Combine(Path.GetTempPath(), $"dense1-{Guid.NewGuid():N}.enb");
        w.Write(path);
        return path;
    }

    private static float[] Run(string path, float[] x, KernelVariant variant, int threads, bool oneRowKernel = false)
    {
        using var it = Interp.Load(path, new InterpreterOptions { Variant = variant, Threads = threads, SplitEveryCall = true });
        if (variant == KernelVariant.Simd)
        {
            // The kernel under test is the one that runs: the one-row kernel where this machine has it (AVX-512BW) and the
            // layer allows it, the pair kernels otherwise.
            Assert.AreEqual(oneRowKernel && EdgeNet.Kernels.Simd.Int8Gemm.GemvSupported, it.Kernels.OfType<Ops.DenseOp>().Single().OneRowKernel, "the dense layer's batch-1 kernel");
        }

        x.CopyTo(it.Input(1));
        it.Invoke(1);
        return it.Output(1).ToArray();
    }

    /// <summary>
    /// 513 × 990 (odd k, 31 panels: two threads split them at an odd panel, each thread its own 64-channel blocks and
    /// partial sums; k over two 256-row passes and a last single row): the SIMD kernels on one and two threads give the
    /// reference's codes for every channel.
    /// </summary>
    [TestMethod]
    public void A_wide_int8_dense_at_batch_1_equals_the_reference_on_one_and_two_threads()
    {
        const int k = 513, n = 990;
        var rng = new Random(21);
        var kernel = Enumerable.Range(0, k * n).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray();
        var bias = Enumerable.Range(0, n).Select(_ => rng.Next(-20000, 20000)).ToArray();
        var requant = Enumerable.Range(0, n).Select(_ => rng.Next(1 << 30, int.MaxValue)).Concat(Enumerable.Range(0, n).Select(_ => rng.Next(-14, -10))).ToArray();
        var x = Enumerable.Range(0, k).Select(_ => (float)rng.Next(-128, 128)).ToArray();
        string path = DenseBlob(k, n, kernel, bias, requant);
        try
        {
            var expected = Run(path, x, KernelVariant.Reference, 1);
            Assert.IsGreaterThan(50, expected.Distinct().Count(), "the outputs spread over the int8 range");
            CollectionAssert.AreEqual(expected, Run(path, x, KernelVariant.Simd, 1, oneRowKernel: true), "one thread");
            CollectionAssert.AreEqual(expected, Run(path, x, KernelVariant.Simd, 2, oneRowKernel: true), "two threads");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Weights at −128 (outside TFLite's symmetric [−127, 127], as a foreign writer may store) still sum exactly: x = −128
    /// four times against a column of −128 gives 4 · 16384 = 65536, times the scale 2^−16 is 1. The one-row kernel adds
    /// two products in int16, where (−128)² + (−128)² = 32768 wraps to −32768 (−1 here), so such a layer keeps the pair
    /// kernels; the other 39 columns hold 1s and give −512 · 2^−16, rounded to 0.
    /// </summary>
    [TestMethod]
    public void An_int8_dense_with_weights_at_minus_128_sums_exactly_in_one_row()
    {
        const int k = 4, n = 40;
        var kernel = Enumerable.Range(0, k * n).Select(i => i % n == 0 ? sbyte.MinValue : (sbyte)1).ToArray();
        string path = DenseBlob(k, n, kernel, new int[n], Enumerable.Repeat(1 << 30, n).Concat(Enumerable.Repeat(-15, n)).ToArray());
        try
        {
            var y = Run(path, Enumerable.Repeat(-128f, k).ToArray(), KernelVariant.Simd, 1);
            Assert.AreEqual(1f, y[0]);
            CollectionAssert.AreEqual(new float[n - 1], y[1..]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
