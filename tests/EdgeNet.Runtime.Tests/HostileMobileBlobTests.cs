using EdgeNet.Formats.Enb;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// MobileNetV2's operators (depthwise_conv2d, add, avg_pool2d, global_avg_pool2d, the pads attribute, relu6) in blobs
/// that are well formed but wrong: each is refused at load, naming the field or the operator, never at Invoke.
/// </summary>
[TestClass]
public sealed class HostileMobileBlobTests
{
    private static readonly QuantizationParams Q = QuantizationParams.PerTensor(0.1f, 0);

    private static string Write(Action<BlobWriter> build, bool checkContract = false)
    {
        var w = new BlobWriter { CheckOperatorContract = checkContract };
        build(w);
        string path = Path.Combine(Path.GetTempPath(), $"hostile-mnv2-{Guid.NewGuid():N}.enb");
        w.Write(path);
        return path;
    }

    private static string Fails<T>(string path, string? field = null)
        where T : Exception
    {
        try
        {
            var e = Assert.ThrowsExactly<T>(() => Interp.Load(path).Dispose());
            StringAssert.Contains(e.Message, path);
            if (field is not null)
            {
                StringAssert.Contains(e.Message, field);
            }

            return e.Message;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static KeyValuePair<string, EnbValue>[] A(params (string Key, EnbValue Value)[] attrs) => [.. attrs.Select(a => new KeyValuePair<string, EnbValue>(a.Key, a.Value))];

    /// <summary>x [N, 6, 6, 2] → depthwise_conv2d with kernel <paramref name="kernel"/> → y [N, ...yDims].</summary>
    private static string Depthwise(long[] kernel, int[] yDims, params (string Key, EnbValue Value)[] attrs) => Write(w =>
    {
        int k = w.AddF32("dw/kernel", kernel, new float[kernel.Aggregate(1L, (a, d) => a * d)]);
        w.Graph = new GraphDef([new ValueInfo("x", ElementType.F32, -1, 6, 6, 2), new ValueInfo("y", ElementType.F32, [-1, .. yDims])], [0], [1],
            [new OperatorDef(Opcode.DepthwiseConv2D, [TensorRef.Value(0), TensorRef.Weight(k)], [1], A(attrs))]);
    });

    [TestMethod]
    public void Explicit_pads_of_the_wrong_length_negative_or_past_a_whole_window_are_refused()
    {
        string m = Fails<EnbFormatException>(Depthwise([3, 3, 1, 2], [6, 6, 2], ("pads", EnbValue.Ints(1, 1))), "graph.operators[0].attributes.pads");
        StringAssert.Contains(m, "attribute 'pads' is [1, 1]; it needs four values [top, left, bottom, right], each >= 0");
        m = Fails<EnbFormatException>(Depthwise([3, 3, 1, 2], [6, 6, 2], ("pads", EnbValue.Ints(1, -1, 1, 1))), "graph.operators[0].attributes.pads");
        StringAssert.Contains(m, "attribute 'pads' is [1, -1, 1, 1]");
        m = Fails<RuntimeModelException>(Depthwise([3, 3, 1, 2], [7, 4, 2], ("pads", EnbValue.Ints(3, 0, 0, 0))));
        StringAssert.Contains(m, "pads [3, 0, 0, 0] reach a whole 3x3 kernel past the image");
        m = Fails<EnbFormatException>(Depthwise([3, 3, 1, 2], [6, 6, 2], ("activation", EnbValue.String("relu7"))), "graph.operators[0].attributes.activation");
        StringAssert.Contains(m, "it must be 'linear' or 'relu' or 'tanh' or 'sigmoid' or 'relu6'");
    }

    [TestMethod]
    public void A_depthwise_kernel_that_does_not_fit_the_input_or_the_output_is_refused()
    {
        const string Fit = "do not fit ([N, H, W, C] and [KH, KW, 1, C·M])";
        StringAssert.Contains(Fails<RuntimeModelException>(Depthwise([3, 3, 2, 1], [4, 4, 2])), Fit);
        StringAssert.Contains(Fails<RuntimeModelException>(Depthwise([3, 3, 1, 3], [4, 4, 3])), Fit);
        StringAssert.Contains(Fails<RuntimeModelException>(Depthwise([3, 3, 1, 4], [4, 4, 2])), "is not [N, 4, 4, 4] for this kernel, stride and padding");
    }

    [TestMethod]
    public void An_add_of_two_shapes_a_weight_as_an_operand_or_an_activation_it_cannot_fuse_is_refused()
    {
        string m = Fails<RuntimeModelException>(Write(w =>
        {
            int k = w.AddF32("d/kernel", [4, 3], new float[12]);
            w.Graph = new GraphDef(
                [new ValueInfo("x", ElementType.F32, -1, 4), new ValueInfo("r", ElementType.F32, -1, 3), new ValueInfo("y", ElementType.F32, -1, 4)], [0], [2],
                [new OperatorDef(Opcode.Dense, [TensorRef.Value(0), TensorRef.Weight(k)], [1], []), new OperatorDef(Opcode.Add, [TensorRef.Value(0), TensorRef.Value(1)], [2], [])]);
        }));
        StringAssert.Contains(m, "must have one shape and type");

        m = Fails<EnbFormatException>(Write(w =>
        {
            int t = w.AddF32("t", [4], new float[4]);
            w.Graph = new GraphDef([new ValueInfo("x", ElementType.F32, -1, 4), new ValueInfo("y", ElementType.F32, -1, 4)], [0], [1],
                [new OperatorDef(Opcode.Add, [TensorRef.Value(0), TensorRef.Weight(t)], [1], [])]);
        }), "graph.operators[0].inputs[1]");
        StringAssert.Contains(m, "add input 1 ('b') must be a value (graph reference)");

        m = Fails<RuntimeModelException>(Write(w => w.Graph = new GraphDef(
            [new ValueInfo("x", ElementType.F32, -1, 4), new ValueInfo("y", ElementType.F32, -1, 4)], [0], [1],
            [new OperatorDef(Opcode.Add, [TensorRef.Value(0), TensorRef.Value(0)], [1], A(("activation", EnbValue.String("tanh"))))])));
        StringAssert.Contains(m, "an add fuses linear, relu or relu6");
    }

    /// <summary>x [N, 4, 4, 2] f32 → quantize → the int8 operator <paramref name="op"/> (weights from <paramref name="weights"/>) → dequantize.</summary>
    private static string Int8Blob(Opcode op, int[] yDims, Func<BlobWriter, TensorRef[]> weights, params (string Key, EnbValue Value)[] attrs) => Write(w =>
    {
        var extra = weights(w);
        var inputs = new List<TensorRef> { TensorRef.Value(1) };
        if (op == Opcode.Add)
        {
            inputs.Add(TensorRef.Value(1));
        }

        inputs.AddRange(extra);
        w.Graph = new GraphDef(
            [new ValueInfo("x", ElementType.F32, -1, 4, 4, 2), new ValueInfo("xq", ElementType.I8, [-1, 4, 4, 2], Q),
             new ValueInfo("yq", ElementType.I8, [-1, .. yDims], Q), new ValueInfo("y", ElementType.F32, [-1, .. yDims])], [0], [3],
            [new OperatorDef(Opcode.Quantize, [TensorRef.Value(0)], [1], []), new OperatorDef(op, inputs, [2], A(attrs)), new OperatorDef(Opcode.Dequantize, [TensorRef.Value(2)], [3], [])]);
    });

    [TestMethod]
    public void Int8_adds_and_poolings_without_a_sound_requantization_table_are_refused()
    {
        string m = Fails<RuntimeModelException>(Int8Blob(Opcode.Add, [4, 4, 2], w => []));
        StringAssert.Contains(m, "an int8 add needs an i32 requant table [2, 3]");
        m = Fails<RuntimeModelException>(Int8Blob(Opcode.Add, [4, 4, 2], w => [TensorRef.Weight(w.AddTensor("rq", ElementType.I32, [2, 3], new[] { 1 << 30, 1 << 30, 1 << 30, 0, 0, 40 }.AsSpan()))]));
        StringAssert.Contains(m, "requant table: requantization shift 40 is outside -31..30");
        m = Fails<RuntimeModelException>(Int8Blob(Opcode.Add, [4, 4, 2], w => [TensorRef.Weight(w.AddTensor("rq", ElementType.I32, [2, 3], new[] { 1 << 30, 1 << 30, 1 << 30, 0, 0, 0 }.AsSpan()))],
            ("activation", EnbValue.String("sigmoid"))));
        StringAssert.Contains(m, "an int8 Add cannot apply activation 'sigmoid'");

        m = Fails<RuntimeModelException>(Int8Blob(Opcode.AvgPool2D, [2, 2, 2], w => [TensorRef.Weight(w.AddTensor("rq", ElementType.I32, [2, 1], new[] { 1 << 30, 0 }.AsSpan()))]));
        StringAssert.Contains(m, "an int8 average pooling needs an i32 requant table [2, 4]");
        m = Fails<RuntimeModelException>(Int8Blob(Opcode.GlobalAvgPool2D, [2], w => []));
        StringAssert.Contains(m, "an int8 global average pooling needs an i32 requant table [2, 1]");
    }

    [TestMethod]
    public void A_global_average_pooling_that_does_not_give_batch_by_channels_is_refused()
    {
        string m = Fails<RuntimeModelException>(Write(w => w.Graph = new GraphDef(
            [new ValueInfo("x", ElementType.F32, -1, 4, 4, 2), new ValueInfo("y", ElementType.F32, -1, 1, 1, 2)], [0], [1],
            [new OperatorDef(Opcode.GlobalAvgPool2D, [TensorRef.Value(0)], [1], [])])));
        StringAssert.Contains(m, "output [N, 1, 1, 2] is not [N, 2]");
    }
}
