using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// Depth-first pairs (a convolution computed band by band inside the depthwise convolution that reads it): which pairs
/// the interpreter takes, that they change no number, and that an observed invocation (int8 calibration) still sees
/// every value. The golden tests hold the numbers of every pair, a row at a time, to the trainer and the integer reference.
/// </summary>
[TestClass]
[DoNotParallelize] // seeds the process-wide Keras RNG
public sealed class DepthFirstTests
{
    [TestMethod]
    public void Large_maps_go_depth_first_with_the_same_outputs_and_observations()
    {
        KerasBackend.SetRandomSeed(5);
        var model = GoldenKernelTests.ConvsIntoDepthwise();
        int[] sample = [75, 91, 3];
        const int Batch = 2;
        var r = new Random(7);
        var x = Enumerable.Range(0, Batch * 75 * 91 * 3).Select(_ => (float)r.NextDouble()).ToArray();
        foreach (var scheme in new[] { QuantizationScheme.F32, QuantizationScheme.Int8 })
        {
            string path = Path.Combine(Path.GetTempPath(), $"depth-first-{scheme}-{Guid.NewGuid():N}.enb");
            try
            {
                GoldenKernelTests.ExportSequenceless(model, path, scheme, x, Batch, sample);
                using var whole = Interp.Load(path, new InterpreterOptions { MaxBatch = Batch, SubBatch = Batch, DepthFirst = false });
                using var banded = Interp.Load(path, new InterpreterOptions { MaxBatch = Batch, SubBatch = Batch });
                using var rows = Interp.Load(path, new InterpreterOptions { MaxBatch = Batch, SubBatch = Batch, DepthFirstEveryPair = true });

                // Operators 0 conv 3×3, 1 depthwise, 2 expansion (240), 3 depthwise s2, 4 conv 1×1 (20), 5 depthwise 5×5, …
                // (int8: one later, after the quantize). By default only the expansion's map (38×46×240 f32, 1.68 MB a
                // sample; 420 KB in int8) is large enough: the expansion runs inside depthwise 3, which feeds conv 4 its
                // rows. Every pair on request: 0 inside 1, which feeds 2; then 4 inside 5 (2 is taken as 1's consumer).
                int q = scheme == QuantizationScheme.Int8 ? 1 : 0;
                Assert.IsEmpty(Fused(whole), $"{scheme}: DepthFirst = false");
                CollectionAssert.AreEqual(scheme == QuantizationScheme.F32 ? new[] { 2, 4 } : Array.Empty<int>(), Fused(banded), $"{scheme}: taken by default");
                CollectionAssert.AreEqual(new[] { 0 + q, 2 + q, 4 + q }, Fused(rows), $"{scheme}: every pair on request");
                var expansion = banded.Values[banded.Blob.Graph!.Operators[2 + q].Outputs[0]];
                Assert.AreEqual(38L * 46 * 240 * (scheme == QuantizationScheme.F32 ? 4 : 1), expansion.Bytes(1), $"{scheme}: the expansion's map");
                Assert.AreEqual(scheme == QuantizationScheme.F32, expansion.Bytes(1) >= Interp.DepthFirstBytes, $"{scheme}: the expansion's map against the threshold");

                // The maps a chain never writes whole have no place in the arena: the expansion's and the depthwise's
                // outputs (1.68 + 0.42 MB f32 a sample) cost more than the bands and the producer's longer-lived input.
                if (scheme == QuantizationScheme.F32)
                {
                    Assert.IsLessThan(whole.ArenaBytes - expansion.Bytes(Batch), banded.ArenaBytes, $"arena {banded.ArenaBytes} B depth-first, {whole.ArenaBytes} B whole");
                }

                var expected = Observe(whole, x, Batch, out var y);
                foreach (var (it, what) in new[] { (banded, "banded"), (rows, "row by row") })
                {
                    var seen = Observe(it, x, Batch, out var yi);
                    CollectionAssert.AreEqual(y, yi, $"{scheme} {what}: outputs");
                    CollectionAssert.AreEquivalent(expected.Keys, seen.Keys, $"{scheme} {what}: observed values");
                    foreach (var (index, values) in expected)
                    {
                        CollectionAssert.AreEqual(values, seen[index], $"{scheme} {what}: observed value {index}");
                    }
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>The operators another computes band by band (a depthwise convolution's producer and consumer), in order.</summary>
    private static int[] Fused(Interp it) => Enumerable.Range(0, it.Kernels.Count).Where(i => it.Kernels[i].ComputedBy is not null).ToArray();

    /// <summary>
    /// Every f32 value an observed invocation sees (by value index; the sub-batches' pieces in order: the smaller arena of
    /// depth-first chains can run a batch whole where the other runs it in pieces), and the output of a plain one.
    /// </summary>
    private static Dictionary<int, float[]> Observe(Interp it, float[] x, int batch, out float[] y)
    {
        var seen = new Dictionary<int, float[]>();
        x.CopyTo(it.Input(batch));
        it.InvokeObserving(batch, (index, values) => seen[index] = [.. seen.GetValueOrDefault(index, []), .. values]);
        x.CopyTo(it.Input(batch));
        it.Invoke(batch);
        y = it.Output(batch).ToArray();
        return seen;
    }
}
