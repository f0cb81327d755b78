using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Planning;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>Blobs that are well formed but wrong for the runtime fail at load with a clear message, never at Invoke.</summary>
[TestClass]
public sealed class HostileBlobTests
{
    private static string Write(Action<BlobWriter> build, bool checkContract = true)
    {
        var w = new BlobWriter { CheckOperatorContract = checkContract };
        build(w);
        string path = Path.Combine(Path.GetTempPath(), $"hostile-{Guid.NewGuid():N}.enb");
        w.Write(path);
        return path;
    }

    private static RuntimeModelException LoadFails(string path)
    {
        try
        {
            return Assert.ThrowsExactly<RuntimeModelException>(() => Interp.Load(path).Dispose());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A blob the contract refuses (written as a foreign writer would): the reader refuses it at load, naming the operator's field.</summary>
    private static EnbFormatException LoadFailsByContract(string path, string field)
    {
        try
        {
            var e = Assert.ThrowsExactly<EnbFormatException>(() => Interp.Load(path).Dispose());
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, field);
            return e;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static GraphDef DenseGraph(int inDim, int units, int kernelIndex, int biasIndex, ElementType outType = ElementType.F32) => new(
        [new ValueInfo("x", ElementType.F32, -1, inDim), new ValueInfo("y", outType, -1, units)], [0], [1],
        [new OperatorDef(Opcode.Dense, [TensorRef.Value(0), TensorRef.Weight(kernelIndex), TensorRef.Weight(biasIndex)], [1], [new("activation", EnbValue.String("relu"))])]);

    /// <summary>x [N, 8, 8, 1] → Conv2D(2 filters, 3×3) → y with the given attributes and output dims.</summary>
    private static string ConvBlob(int[] yDims, params (string Key, EnbValue Value)[] attrs) => Write(
        w =>
    {
        int k = w.AddF32("k", [3, 3, 1, 2], new float[18]);
        int b = w.AddF32("b", [2], new float[2]);
        w.Graph = new GraphDef(
            [new ValueInfo("x", ElementType.F32, -1, 8, 8, 1), new ValueInfo("y", ElementType.F32, [-1, .. yDims])], [0], [1],
            [new OperatorDef(Opcode.Conv2D, [TensorRef.Value(0), TensorRef.Weight(k), TensorRef.Weight(b)], [1], [.. attrs.Select(a => new KeyValuePair<string, EnbValue>(a.Key, a.Value))])]);
        },
        checkContract: false);

    private static string PoolBlob(int[] xDims, int[] yDims, params (string Key, EnbValue Value)[] attrs) => Write(
        w =>
    {
        w.Graph = new GraphDef(
            [new ValueInfo("x", ElementType.F32, [-1, .. xDims]), new ValueInfo("y", ElementType.F32, [-1, .. yDims])], [0], [1],
            [new OperatorDef(Opcode.MaxPool2D, [TensorRef.Value(0)], [1], [.. attrs.Select(a => new KeyValuePair<string, EnbValue>(a.Key, a.Value))])]);
        },
        checkContract: false);

    [TestMethod]
    public void Zero_or_missing_strides_and_windows_are_refused_naming_the_attribute()
    {
        // A stride of 0 divided by zero in the window geometry (an unhandled DivideByZeroException before);
        // the contract's attribute rules now refuse it when the blob is read.
        var e = LoadFailsByContract(ConvBlob([8, 8, 2], ("strides", EnbValue.Ints(0, 1)), ("padding", EnbValue.String("same"))), "graph.operators[0].attributes.strides");
        StringAssert.Contains(e.Message, "attribute 'strides' is [0, 1]; it needs two values, each >= 1");

        e = LoadFailsByContract(ConvBlob([8, 8, 2], ("strides", EnbValue.Ints(1)), ("padding", EnbValue.String("same"))), "graph.operators[0].attributes.strides");
        StringAssert.Contains(e.Message, "attribute 'strides' is [1]");

        e = LoadFailsByContract(PoolBlob([8, 8, 1], [4, 4, 1], ("pool_size", EnbValue.Ints(2, 0))), "graph.operators[0].attributes.pool_size");
        StringAssert.Contains(e.Message, "attribute 'pool_size' is [2, 0]");

        e = LoadFailsByContract(PoolBlob([8, 8, 1], [4, 4, 1], ("strides", EnbValue.Ints(-2, 2))), "graph.operators[0].attributes.strides");
        StringAssert.Contains(e.Message, "attribute 'strides' is [-2, 2]");

        e = LoadFailsByContract(PoolBlob([8, 8, 1], [4, 4, 1], ("pool", EnbValue.Ints(2, 2))), "graph.operators[0].attributes.pool");
        StringAssert.Contains(e.Message, "max_pool2d has no attribute 'pool' (it takes pool_size, strides, padding, pads)");
    }

    [TestMethod]
    public void Windows_larger_than_the_input_and_unknown_paddings_are_refused()
    {
        var e = LoadFails(PoolBlob([1, 1, 1], [1, 1, 1], ("pool_size", EnbValue.Ints(2, 2))));
        StringAssert.Contains(e.Message, "operator 0 (MaxPool2D");
        StringAssert.Contains(e.Message, "input [N, 1, 1, 1]: the input 1x1 is smaller than the 2x2 pool window with padding 'valid'");

        var f = LoadFailsByContract(ConvBlob([8, 8, 2], ("padding", EnbValue.String("full"))), "graph.operators[0].attributes.padding");
        StringAssert.Contains(f.Message, "attribute 'padding' is 'full'; it must be 'valid' or 'same'");

        e = LoadFails(PoolBlob([8, 8], [4, 4], ("pool_size", EnbValue.Ints(2, 2))));
        StringAssert.Contains(e.Message, "must both be [N, H, W, C]");
    }

    [TestMethod]
    public void A_value_whose_dims_multiply_past_int_is_refused_naming_the_value()
    {
        // 65,536 × 65,536 floats per sample: an OverflowException in the slot's size before.
        var e = LoadFails(Write(w =>
        {
            w.AddF32("k", [4, 3], new float[12]);
            w.AddF32("b", [3], new float[3]);
            w.Graph = new GraphDef(
                [new ValueInfo("x", ElementType.F32, -1, 65_536, 65_536), new ValueInfo("y", ElementType.F32, -1, 3)], [0], [1],
                [new OperatorDef(Opcode.Dense, [TensorRef.Value(0), TensorRef.Weight(0), TensorRef.Weight(1)], [1], [])]);
        }));
        StringAssert.Contains(e.Message, "value 'x' [N, 65536, 65536] holds more than 2147483647 elements per sample");
    }

    [TestMethod]
    public void Wrong_kernel_shape_is_refused_at_load()
    {
        var e = LoadFails(Write(w =>
        {
            w.AddF32("k", [5, 3], new float[15]);
            w.AddF32("b", [3], new float[3]);
            w.Graph = DenseGraph(4, 3, 0, 1);
        }));
        StringAssert.Contains(e.Message, "operator 0 (Dense");
        StringAssert.Contains(e.Message, "do not fit kernel [5, 3]");
    }

    [TestMethod]
    public void Integer_kernel_for_a_float_layer_is_refused_at_load()
    {
        var e = LoadFails(Write(w =>
        {
            w.AddTensor("k", ElementType.I32, [4, 3], new int[12].AsSpan());
            w.AddF32("b", [3], new float[3]);
            w.Graph = DenseGraph(4, 3, 0, 1);
        }));
        StringAssert.Contains(e.Message, "is i32");
    }

    [TestMethod]
    public void Int8_layer_without_requantization_table_is_refused_at_load()
    {
        var e = LoadFails(Write(w =>
        {
            w.AddTensor("k", ElementType.I8, [4, 3], new sbyte[12].AsSpan(), QuantizationParams.PerChannel(1, [0.1f, 0.1f, 0.1f]));
            w.AddTensor("b", ElementType.I32, [3], new int[3].AsSpan());
            w.Graph = new GraphDef(
                [new ValueInfo("x", ElementType.F32, -1, 4), new ValueInfo("xq", ElementType.I8, [-1, 4], QuantizationParams.PerTensor(0.1f, 0)),
                 new ValueInfo("yq", ElementType.I8, [-1, 3], QuantizationParams.PerTensor(0.1f, 0)), new ValueInfo("y", ElementType.F32, -1, 3)],
                [0], [3],
                [new OperatorDef(Opcode.Quantize, [TensorRef.Value(0)], [1], []),
                 new OperatorDef(Opcode.Dense, [TensorRef.Value(1), TensorRef.Weight(0), TensorRef.Weight(1)], [2], []),
                 new OperatorDef(Opcode.Dequantize, [TensorRef.Value(2)], [3], [])]);
        }));
        StringAssert.Contains(e.Message, "requant table");
    }

    [TestMethod]
    public void Pooling_that_does_not_produce_the_declared_shape_is_refused()
    {
        var e = LoadFails(Write(w => w.Graph = new GraphDef(
            [new ValueInfo("x", ElementType.F32, -1, 8, 8, 2), new ValueInfo("y", ElementType.F32, -1, 3, 3, 2)], [0], [1],
            [new OperatorDef(Opcode.MaxPool2D, [TensorRef.Value(0)], [1], [new("pool_size", EnbValue.Ints(2, 2))])])));
        StringAssert.Contains(e.Message, "does not match pooling");
    }

    [TestMethod]
    public void A_weights_only_blob_says_it_has_no_graph_and_a_missing_tensor_is_a_format_error()
    {
        var e = LoadFails(Write(w => w.AddF32("k", [2], [1, 2])));
        StringAssert.Contains(e.Message, "no graph");

        // A graph that names a tensor the table does not have never reaches the runtime: the writer and reader refuse it.
        var w = new BlobWriter();
        w.AddF32("k", [4, 3], new float[12]);
        w.Graph = DenseGraph(4, 3, 0, 7);
        Assert.ThrowsExactly<InvalidOperationException>(() => w.ToArray());
    }

    [TestMethod]
    public void Greedy_planner_never_overlaps_buffers_that_live_together()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 200; trial++)
        {
            var p = new GreedyMemoryPlanner();
            var bufs = new List<(long Size, int First, int Last)>();
            for (int i = 0; i < 12; i++)
            {
                int f = rng.Next(10);
                var b = ((long)rng.Next(1, 5000), f, f + rng.Next(4));
                bufs.Add(b);
                p.Add(b.Item1, b.Item2, b.Item3);
            }

            var (off, size) = p.Plan();
            for (int i = 0; i < bufs.Count; i++)
            {
                Assert.AreEqual(0, off[i] % 64);
                Assert.IsLessThanOrEqualTo(size, off[i] + bufs[i].Size);
                for (int j = i + 1; j < bufs.Count; j++)
                {
                    bool together = bufs[i].First <= bufs[j].Last && bufs[j].First <= bufs[i].Last;
                    bool overlap = off[i] < off[j] + bufs[j].Size && off[j] < off[i] + bufs[i].Size;
                    Assert.IsFalse(together && overlap, $"trial {trial}: buffers {i} and {j} overlap while both alive");
                }
            }
        }
    }
}
