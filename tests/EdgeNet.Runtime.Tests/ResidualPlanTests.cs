using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Export;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>The arena plan of a graph with residual branches: a value read by two operators lives until its last reader.</summary>
[TestClass]
[DoNotParallelize] // seeds the process-wide Keras RNG (through GoldenKernelTests.ExportMobileBlocks)
public sealed class ResidualPlanTests
{
    [TestMethod]
    [DataRow(QuantizationScheme.F32)]
    [DataRow(QuantizationScheme.Int8)]
    public void No_two_live_values_share_bytes_in_a_residual_graph(QuantizationScheme scheme)
    {
        int[] sample = [12, 11, 8];
        var x = Enumerable.Range(0, 2 * 12 * 11 * 8).Select(i => (float)Math.Sin(i * 0.37)).ToArray();
        string path = GoldenKernelTests.ExportMobileBlocks(21, sample, scheme, x, 2);
        try
        {
            using var it = Interp.Load(path, new InterpreterOptions { MaxBatch = 4 });
            var g = it.Blob.Graph!;
            var values = it.Values;

            // Lifetimes of the root buffers from the graph itself: written by the producing operator, live through its last reader.
            var first = new Dictionary<int, int>();
            var last = new Dictionary<int, int>();
            first[values[g.Inputs[0]].Root] = -1;
            for (int i = 0; i < g.Operators.Count; i++)
            {
                int outRoot = values[g.Operators[i].Outputs[0]].Root;
                first.TryAdd(outRoot, i);
                last[outRoot] = Math.Max(last.GetValueOrDefault(outRoot, i), i);
                foreach (var r in g.Operators[i].Inputs.Where(r => !r.IsWeight))
                {
                    int root = values[r.Index].Root;
                    last[root] = Math.Max(last.GetValueOrDefault(root, i), i);
                }
            }

            last[values[g.Outputs[0]].Root] = g.Operators.Count;
            var adds = g.Operators.Where(o => o.Opcode == Opcode.Add).ToList();
            Assert.HasCount(1, adds, "the residual block's add");
            int branch = values[adds[0].Inputs[0].Index].Root;
            Assert.IsGreaterThanOrEqualTo(first[branch] + 4, last[branch], "the branch value lives across the block it skips (expand, depthwise, project, add)");

            var roots = first.Keys.ToList();
            int livePairs = 0;
            foreach (int a in roots)
            {
                foreach (int b in roots.Where(b => b > a))
                {
                    bool bothLive = first[a] <= last.GetValueOrDefault(b, first[b]) && first[b] <= last.GetValueOrDefault(a, first[a]);
                    if (!bothLive)
                    {
                        continue;
                    }

                    livePairs++;
                    long a0 = values.First(v => v.Root == a).Offset, a1 = a0 + Interpreter_LargestOfRoot(values, a, 4);
                    long b0 = values.First(v => v.Root == b).Offset, b1 = b0 + Interpreter_LargestOfRoot(values, b, 4);
                    Assert.IsTrue(a1 <= b0 || b1 <= a0, $"'{values[a].Info.Name}' [{a0}, {a1}) and '{values[b].Info.Name}' [{b0}, {b1}) are live together and overlap");
                }
            }

            Assert.IsGreaterThan(10, livePairs);
            Assert.IsLessThan(it.UnsharedBytes, it.ArenaBytes, "the plan shares bytes between values that are not live together");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static long Interpreter_LargestOfRoot(IReadOnlyList<ValueSlot> values, int root, int batch) => ValueSlot.LargestOfRoot(values, root, batch, inBytes: true);
}
