using EdgeNet.Formats.Enb;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// The squeeze-and-excitation operators (mul, the int8 activation tables) and the channel moves (concat, channel_slice,
/// channel_shuffle) in blobs that are well formed but wrong:
/// each is refused at load naming the file and the operator, never at Invoke.
/// </summary>
[TestClass]
public sealed class HostileGateBlobTests
{
    private static string Write(Action<BlobWriter> build)
    {
        var w = new BlobWriter { CheckOperatorContract = false };
        build(w);
        string path = Path.Combine(Path.GetTempPath(), $"hostile-gate-{Guid.NewGuid():N}.enb");
        w.Write(path);
        return path;
    }

    private static string Fails(string path)
    {
        try
        {
            var e = Assert.ThrowsExactly<RuntimeModelException>(() => Interp.Load(path).Dispose());
            StringAssert.Contains(e.Message, path);
            return e.Message;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>x [N, 4, 5, 6] → flatten → dense → reshape to b [N, ...bDims]; y = mul(x, b) [N, 4, 5, 6].</summary>
    private static string Mul(int[] bDims) => Write(w =>
    {
        int k = bDims.Aggregate(1, (p, d) => p * d);
        int kernel = w.AddF32("fc/kernel", [120, k], new float[120 * k]);
        w.Graph = new GraphDef(
            [new ValueInfo("x", ElementType.F32, -1, 4, 5, 6), new ValueInfo("flat", ElementType.F32, -1, 120), new ValueInfo("fc", ElementType.F32, -1, k),
             new ValueInfo("b", ElementType.F32, [-1, .. bDims]), new ValueInfo("y", ElementType.F32, -1, 4, 5, 6)], [0], [4],
            [new OperatorDef(Opcode.Flatten, [TensorRef.Value(0)], [1], []), new OperatorDef(Opcode.Dense, [TensorRef.Value(1), TensorRef.Weight(kernel)], [2], []),
             new OperatorDef(Opcode.Reshape, [TensorRef.Value(2)], [3], []), new OperatorDef(Opcode.Mul, [TensorRef.Value(0), TensorRef.Value(3)], [4], [])]);
    });

    /// <summary>x [N, 8] → quantize → OP (int8, with <paramref name="weights"/>) → dequantize → y.</summary>
    private static string Int8(Opcode op, Func<BlobWriter, TensorRef[]> weights, bool twoInputs = false) => Write(w =>
    {
        var q = QuantizationParams.PerTensor(0.05f, -10);
        var inputs = new List<TensorRef> { TensorRef.Value(1) };
        if (twoInputs)
        {
            inputs.Add(TensorRef.Value(1));
        }

        inputs.AddRange(weights(w));
        w.Graph = new GraphDef(
            [new ValueInfo("x", ElementType.F32, -1, 8), new ValueInfo("xq", ElementType.I8, [-1, 8], q), new ValueInfo("yq", ElementType.I8, [-1, 8], q), new ValueInfo("y", ElementType.F32, -1, 8)], [0], [3],
            [new OperatorDef(Opcode.Quantize, [TensorRef.Value(0)], [1], []), new OperatorDef(op, inputs, [2], []), new OperatorDef(Opcode.Dequantize, [TensorRef.Value(2)], [3], [])]);
    });

    [TestMethod]
    public void A_product_whose_second_operand_neither_matches_nor_gates_the_channels_is_refused()
    {
        string m = Fails(Mul([1, 1, 5]));
        StringAssert.Contains(m, "operator 3 (Mul -> 'y')");
        StringAssert.Contains(m, "b [N, 1, 1, 5] must have a's shape [N, 4, 5, 6] or one value per channel [N, 1, …, 1, 6]");
        StringAssert.Contains(Fails(Mul([4, 5, 1])), "must have a's shape");
        StringAssert.Contains(Fails(Int8(Opcode.Mul, _ => [], twoInputs: true)), "an int8 mul needs an i32 requant table [2, 1]");
    }

    /// <summary>x [N, 4, 5, 6] (f32, or int8 through a quantize) → OP → y [N, 4, 5, yC].</summary>
    private static string Move(Opcode op, int yC, (string Key, EnbValue Value)[] attrs, bool int8 = false, bool twice = false) => Write(w =>
    {
        var qx = QuantizationParams.PerTensor(0.05f, -10);
        var qy = QuantizationParams.PerTensor(0.1f, 3);
        var type = int8 ? ElementType.I8 : ElementType.F32;
        var inputs = new List<TensorRef> { TensorRef.Value(1) };
        if (twice)
        {
            inputs.Add(TensorRef.Value(1));
        }

        w.Graph = new GraphDef(
            [new ValueInfo("x", ElementType.F32, -1, 4, 5, 6), new ValueInfo("xq", type, [-1, 4, 5, 6], int8 ? qx : QuantizationParams.None),
             new ValueInfo("m", type, [-1, 4, 5, yC], int8 ? qy : QuantizationParams.None), new ValueInfo("y", ElementType.F32, -1, 4, 5, yC)], [0], [3],
            [new OperatorDef(int8 ? Opcode.Quantize : Opcode.Relu, [TensorRef.Value(0)], [1], []),
             new OperatorDef(op, inputs, [2], [.. attrs.Select(a => new KeyValuePair<string, EnbValue>(a.Key, a.Value))]),
             new OperatorDef(int8 ? Opcode.Dequantize : Opcode.Relu, [TensorRef.Value(2)], [3], [])]);
    });

    [TestMethod]
    public void Channel_moves_past_the_channels_across_scales_or_in_groups_that_do_not_divide_are_refused()
    {
        string m = Fails(Move(Opcode.ChannelSlice, 3, [("begin", EnbValue.I32(4)), ("size", EnbValue.I32(3))]));
        StringAssert.Contains(m, "operator 1 (ChannelSlice -> 'm'): channels [4, 7) of 6 into an output of 3");
        StringAssert.Contains(Fails(Move(Opcode.ChannelSlice, 3, [("begin", EnbValue.I32(int.MaxValue)), ("size", EnbValue.I32(3))])), "channels [2147483647, 2147483650) of 6");
        StringAssert.Contains(Fails(Move(Opcode.ChannelShuffle, 6, [("groups", EnbValue.I32(4))])), "shuffles 6 channels in 4 groups into 6");
        StringAssert.Contains(Fails(Move(Opcode.Concat, 11, [], twice: true)), "the inputs have 12 channels together, the output 11");
        m = Fails(Move(Opcode.Concat, 12, [], int8: true, twice: true));
        StringAssert.Contains(m, "int8 input 'xq' has scale 0.05 and zero point -10, the output 0.1 and 3");
        StringAssert.Contains(m, "the writer must requantize the input first");
    }

    [TestMethod]
    public void An_int8_activation_without_its_lookup_table_is_refused()
    {
        string m = Fails(Int8(Opcode.HardSwish, w => [TensorRef.Weight(w.AddTensor("hswish/table", ElementType.I8, [255], new sbyte[255].AsSpan()))]));
        StringAssert.Contains(m, "operator 1 (HardSwish -> 'yq')");
        StringAssert.Contains(m, "an int8 activation needs its lookup table: an i8 weight [256]");
        StringAssert.Contains(Fails(Int8(Opcode.Silu, _ => [])), "an int8 activation needs its lookup table");
    }
}
