using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Tests;

/// <summary>Small but complete blobs: every element type, every metadata value type, a graph.</summary>
internal static class SampleBlobs
{
    public static BlobWriter EveryType(int seed = 1)
    {
        var rng = new Random(seed);
        var w = new BlobWriter();
        w.SetMetadata("general.architecture", "mlp");
        w.SetMetadata("general.name", "round-trip sample ✓");
        w.SetMetadata("test.u8", EnbValue.U8(250));
        w.SetMetadata("test.i8", EnbValue.I8(-100));
        w.SetMetadata("test.u16", EnbValue.U16(65000));
        w.SetMetadata("test.i16", EnbValue.I16(-32000));
        w.SetMetadata("test.u32", EnbValue.U32(4_000_000_000));
        w.SetMetadata("test.i32", EnbValue.I32(-2_000_000_000));
        w.SetMetadata("test.u64", EnbValue.U64(ulong.MaxValue - 3));
        w.SetMetadata("test.i64", EnbValue.I64(long.MinValue + 7));
        w.SetMetadata("test.f32", EnbValue.F32(0.9479f));
        w.SetMetadata("test.f64", EnbValue.F64(Math.PI));
        w.SetMetadata("test.bool", EnbValue.Bool(true));
        w.SetMetadata("test.string", EnbValue.String(""));
        w.SetMetadata("test.array_u8", EnbValue.Array(EnbValueType.U8, new byte[] { 0, 1, 255 }));
        w.SetMetadata("test.array_i8", EnbValue.Array(EnbValueType.I8, new sbyte[] { -128, 0, 127 }));
        w.SetMetadata("test.array_u16", EnbValue.Array(EnbValueType.U16, new ushort[] { 1, 65535 }));
        w.SetMetadata("test.array_i16", EnbValue.Array(EnbValueType.I16, new short[] { -5, 5 }));
        w.SetMetadata("test.array_u32", EnbValue.Array(EnbValueType.U32, new uint[] { 7, uint.MaxValue }));
        w.SetMetadata("test.array_i32", EnbValue.Ints(28, 28, 1));
        w.SetMetadata("test.array_u64", EnbValue.Array(EnbValueType.U64, new ulong[] { 0, ulong.MaxValue }));
        w.SetMetadata("test.array_i64", EnbValue.Array(EnbValueType.I64, new long[] { -1, long.MaxValue }));
        w.SetMetadata("test.array_f32", EnbValue.Floats(1f / 255, 0f, float.Epsilon));
        w.SetMetadata("test.array_f64", EnbValue.Array(EnbValueType.F64, new[] { -0.0, 1e300 }));
        w.SetMetadata("test.array_bool", EnbValue.Array(EnbValueType.Bool, new[] { true, false }));
        w.SetMetadata("general.class_names", EnbValue.Strings("zero", "one", "two"));
        w.SetMetadata("test.array_empty", EnbValue.Array(EnbValueType.F32, Array.Empty<float>()));

        float[] kernel = Random(rng, 6 * 4);
        w.AddF32("dense.kernel", [6, 4], kernel);
        w.AddTensor("dense.kernel_f16", ElementType.F16, [6, 4], kernel.Select(v => (Half)v).ToArray().AsSpan());
        sbyte[] q = Enumerable.Range(0, 4 * 3).Select(i => (sbyte)rng.Next(-127, 128)).ToArray();
        w.AddTensor("dense_1.kernel", ElementType.I8, [4, 3], q.AsSpan(), QuantizationParams.PerChannel(1, [0.01f, 0.02f, 0.03f]));
        w.AddTensor("dense_1.bias", ElementType.I32, [3], new[] { 100, -200, 300 }.AsSpan(), QuantizationParams.PerChannel(0, [1e-4f, 2e-4f, 3e-4f]));
        w.AddTensor("act.table", ElementType.I8, [5], new sbyte[] { -128, -1, 0, 1, 127 }.AsSpan(), QuantizationParams.PerTensor(0.5f, -3));
        w.AddF32("scalar", [], [42f]);
        w.AddF32("conv.kernel", [3, 3, 1, 2], Random(rng, 18));

        w.Graph = new GraphDef(
            [
                new ValueInfo("input", ElementType.F32, -1, 6),
                new ValueInfo("hidden", ElementType.F32, -1, 4),
                new ValueInfo("hidden_q", ElementType.I8, [-1, 4], QuantizationParams.PerTensor(0.05f, -128)),
                new ValueInfo("logits", ElementType.F32, -1, 3),
                new ValueInfo("probs", ElementType.F32, -1, 3),
            ],
            [0],
            [4],
            [
                new OperatorDef(Opcode.Dense, [TensorRef.Value(0), TensorRef.Weight(0)], [1],
                    [new("units", EnbValue.I32(4)), new("activation", EnbValue.String("relu"))]),
                new OperatorDef(Opcode.Quantize, [TensorRef.Value(1)], [2], []),
                new OperatorDef(Opcode.Dense, [TensorRef.Value(2), TensorRef.Weight(2), TensorRef.Weight(3)], [3],
                    [new("units", EnbValue.I32(3)), new("activation", EnbValue.String("linear"))]),
                new OperatorDef(Opcode.Softmax, [TensorRef.Value(3)], [4], []),
            ]);
        return w;
    }

    public static float[] Random(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
}
