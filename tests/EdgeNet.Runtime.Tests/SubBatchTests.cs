using EdgeNet.Trainer.Export;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// A batch above the arena's sub-batch runs in pieces, each thread its own arena: every sample's output must be the
/// one the whole batch gives on one arena, bit for bit (each image meets the same kernels in the same order).
/// </summary>
[TestClass]
[DoNotParallelize] // seeds the process-wide Keras RNG (through GoldenKernelTests.ExportMobileBlocks)
public sealed class SubBatchTests
{
    private const int Batch = 7;

    [TestMethod]
    [DataRow(QuantizationScheme.F32)]
    [DataRow(QuantizationScheme.Int8)]
    public void Sub_batches_on_each_threads_arena_give_the_whole_batchs_outputs(QuantizationScheme scheme)
    {
        int[] sample = [12, 11, 8];
        int per = 12 * 11 * 8;
        var x = Enumerable.Range(0, Batch * per).Select(i => (float)Math.Sin(i * 0.37)).ToArray();
        string path = GoldenKernelTests.ExportMobileBlocks(31, sample, scheme, x, Batch);
        try
        {
            float[] whole;
            using (var it = Interp.Load(path, new InterpreterOptions { MaxBatch = Batch, SubBatch = Batch }))
            {
                Assert.AreEqual(Batch, it.SubBatch);
                x.CopyTo(it.Input(Batch));
                it.Invoke(Batch);
                whole = it.Output(Batch).ToArray();
            }

            foreach (var (sub, threads) in new[] { (1, 1), (2, 1), (3, 2), (1, 2), (2, 3) })
            {
                using var it = Interp.Load(path, new InterpreterOptions { MaxBatch = Batch, SubBatch = sub, Threads = threads, SplitEveryCall = true });
                Assert.AreEqual(sub, it.SubBatch);
                foreach (int b in new[] { Batch, sub, sub + 1, 5 })
                {
                    // Poison the output first (before the input: in one arena the two may share bytes): every sample
                    // must be written by its own sub-batch.
                    var output = it.Output(b);
                    System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(output), output.Length).Fill(float.NaN);
                    x.AsSpan(0, b * per).CopyTo(it.Input(b));
                    it.Invoke(b);
                    CollectionAssert.AreEqual(whole[..(b * 5)], it.Output(b).ToArray(), $"{scheme}: batch {b} in sub-batches of {sub} on {threads} threads");
                }
            }

            // Input(n) is the first n samples of one buffer whatever n: filled once for the whole batch, a smaller
            // invocation (one piece on arena 0) reads its first samples, and Output(1) is the first sample's.
            using (var it = Interp.Load(path, new InterpreterOptions { MaxBatch = Batch, SubBatch = 3, Threads = 2 }))
            {
                x.CopyTo(it.Input(Batch));
                it.Invoke(Batch);
                it.Invoke(2);
                CollectionAssert.AreEqual(whole[..10], it.Output(2).ToArray(), $"{scheme}: batch 2 after the whole batch was written");
                it.Invoke(Batch);
                CollectionAssert.AreEqual(whole[..5], it.Output(1).ToArray(), $"{scheme}: Output(1) after a batch of {Batch}");
            }

            // Calibration's view: a batch observed one sub-batch at a time still shows every sample once.
            using (var it = Interp.Load(path, new InterpreterOptions { MaxBatch = Batch, SubBatch = 3, Threads = 2 }))
            {
                x.CopyTo(it.Input(Batch));
                int inputSeen = 0;
                double inputSum = 0;
                int inputIndex = it.Blob.Graph!.Inputs[0];
                it.InvokeObserving(Batch, (v, values) =>
                {
                    if (v == inputIndex)
                    {
                        inputSeen += values.Length;
                        foreach (float f in values)
                        {
                            inputSum += f;
                        }
                    }
                });
                Assert.AreEqual(Batch * per, inputSeen);
                Assert.AreEqual(x.Sum(f => (double)f), inputSum, 1e-6);
                CollectionAssert.AreEqual(whole, it.Output(Batch).ToArray(), "InvokeObserving's outputs");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void The_default_sub_batch_is_the_largest_whose_arena_fits_the_budget()
    {
        int[] sample = [40, 36, 8];
        var x = Enumerable.Range(0, 2 * 40 * 36 * 8).Select(i => (float)Math.Cos(i * 0.11)).ToArray();
        string path = GoldenKernelTests.ExportMobileBlocks(32, sample, QuantizationScheme.F32, x, 2);
        try
        {
            using var auto = Interp.Load(path, new InterpreterOptions { MaxBatch = 64 });
            int s = auto.SubBatch;
            Assert.IsTrue(s is > 1 and < 64, $"a 40×36 map's arena neither fits 64 images in 1 MiB nor fails to fit two: sub-batch {s}");

            // Independently: the arena planned for s samples whole fits the budget, for s + 1 it does not.
            using var fits = Interp.Load(path, new InterpreterOptions { MaxBatch = s, SubBatch = s });
            using var over = Interp.Load(path, new InterpreterOptions { MaxBatch = s + 1, SubBatch = s + 1 });
            Assert.IsLessThanOrEqualTo(Interp.SubBatchArenaBytes, fits.ArenaBytes);
            Assert.IsGreaterThan(Interp.SubBatchArenaBytes, over.ArenaBytes);

            // One thread: one arena of s samples and the staged input and output of 64.
            long staged = 64L * ((40 * 36 * 8) + 5) * sizeof(float);
            Assert.AreEqual(fits.ArenaBytes + staged, auto.ArenaBytes);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
