using System.IO.Hashing;
using System.Runtime.InteropServices;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Tests;

[TestClass]
public sealed class RoundTripTests
{
    [TestMethod]
    public void Every_metadata_value_type_reads_back_equal()
    {
        var w = SampleBlobs.EveryType();
        using var r = BlobReader.FromBytes(w.ToArray(), "sample.enb");
        Assert.HasCount(w.Metadata.Count, r.Metadata);
        for (int i = 0; i < w.Metadata.Count; i++)
        {
            Assert.AreEqual(w.Metadata[i].Key, r.Metadata[i].Key);
            Assert.AreEqual(w.Metadata[i].Value, r.Metadata[i].Value, $"metadata '{w.Metadata[i].Key}'");
        }

        // Every value tag appears, as a scalar and as an array element type.
        var tags = r.Metadata.Select(kv => kv.Value.Type).Concat(r.Metadata.Select(kv => kv.Value.ElementType)).ToHashSet();
        foreach (EnbValueType t in Enum.GetValues<EnbValueType>())
        {
            Assert.Contains(t, tags, $"no metadata of type {t} in the sample");
        }

        Assert.AreEqual(ulong.MaxValue - 3, (ulong)r.GetMetadata("test.u64")!.Value);
        Assert.AreEqual("round-trip sample ✓", r.GetMetadata("general.name")!.AsString());
        CollectionAssert.AreEqual(new[] { "zero", "one", "two" }, r.GetMetadata("general.class_names")!.AsStringArray());
    }

    [TestMethod]
    public void Every_element_type_reads_back_byte_for_byte()
    {
        var rng = new Random(7);
        float[] f32 = SampleBlobs.Random(rng, 33);
        Half[] f16 = f32.Select(v => (Half)v).ToArray();
        sbyte[] i8 = Enumerable.Range(-128, 256).Select(v => (sbyte)v).ToArray();
        int[] i32 = [int.MinValue, -1, 0, 1, int.MaxValue];
        var w = new BlobWriter();
        w.AddF32("a", [3, 11], f32);
        w.AddTensor("b", ElementType.F16, [33], f16.AsSpan());
        w.AddTensor("c", ElementType.I8, [2, 128], i8.AsSpan(), QuantizationParams.PerChannel(0, [0.5f, 0.25f]));
        w.AddTensor("d", ElementType.I32, [5], i32.AsSpan(), QuantizationParams.PerTensor(0.125f, 0));
        w.AddTensor("e", ElementType.I8, [256], i8.AsSpan(), QuantizationParams.PerTensor(0.1f, 5));

        using var r = BlobReader.FromBytes(w.ToArray(), options: new BlobReadOptions { VerifyTensorHashes = true });
        CollectionAssert.AreEqual(f32, r.GetTensorData<float>(0).ToArray());
        CollectionAssert.AreEqual(f16, r.GetTensorData<Half>(1).ToArray());
        CollectionAssert.AreEqual(i8, r.GetTensorData<sbyte>(2).ToArray());
        CollectionAssert.AreEqual(i32, r.GetTensorData<int>(3).ToArray());
        Assert.AreEqual(ElementType.F16, r.Tensors[1].Type);
        CollectionAssert.AreEqual(new long[] { 2, 128 }, r.Tensors[2].Dims.ToArray());
        Assert.AreEqual(QuantizationParams.PerChannel(0, [0.5f, 0.25f]), r.Tensors[2].Quantization);

        foreach (var t in r.Tensors)
        {
            Assert.AreEqual(0, t.Offset % 64, $"tensor {t.Name} is not 64-aligned");
            Assert.AreEqual(XxHash64.HashToUInt64(r.GetTensorBytes(r.FindTensor(t.Name))), t.Hash);
        }

        // Dequantized values, computed by hand: real = scale * (q - zp), per channel along axis 0.
        float[] c = r.ReadAsFloat(2);
        Assert.AreEqual(0.5f * -128, c[0]);
        Assert.AreEqual(0.25f * 127, c[255]);
        Assert.AreEqual(0.1f * (-128 - 5), r.ReadAsFloat(4)[0], 1e-6f);
        Assert.AreEqual((float)f16[5], r.ReadAsFloat(1)[5]);
    }

    [TestMethod]
    public void Rewriting_what_was_read_gives_identical_bytes()
    {
        byte[] original = SampleBlobs.EveryType().ToArray();
        using var r = BlobReader.FromBytes(original);
        CollectionAssert.AreEqual(original, BlobWriter.CopyOf(r).ToArray());
    }

    [TestMethod]
    public void Graph_reads_back_with_refs_attributes_and_shapes()
    {
        using var r = BlobReader.FromBytes(SampleBlobs.EveryType().ToArray());
        var g = r.Graph!;
        Assert.HasCount(5, g.Values);
        Assert.HasCount(4, g.Operators);
        Assert.AreEqual(Opcode.Dense, g.Operators[2].Opcode);
        CollectionAssert.AreEqual(new[] { TensorRef.Value(2), TensorRef.Weight(2), TensorRef.Weight(3) }, g.Operators[2].Inputs.ToArray());
        Assert.AreEqual("relu", g.Operators[0].Attribute("activation")!.AsString());
        Assert.AreEqual(4L, g.Operators[0].Attribute("units")!.AsInt64());
        Assert.AreEqual("linear", g.Operators[2].Attribute("activation")!.AsString());
        CollectionAssert.AreEqual(new[] { -1, 4 }, g.Values[2].Dims.ToArray());
        Assert.AreEqual(QuantizationParams.PerTensor(0.05f, -128), g.Values[2].Quantization);
        Assert.AreEqual("[N, 3]", g.Values[4].ShapeText);
    }

    [TestMethod]
    public void Memory_mapped_reader_hands_out_spans_into_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"enb-mmap-{Guid.NewGuid():N}.enb");
        try
        {
            var w = SampleBlobs.EveryType();
            w.Write(path);
            using var r = BlobReader.Open(path, new BlobReadOptions { VerifyTensorHashes = true });
            byte[] file = File.ReadAllBytes(path);
            var t = r.Tensors[0];
            var span = r.GetTensorBytes(0);
            CollectionAssert.AreEqual(file.AsSpan((int)(r.Header.DataOffset + t.Offset), (int)t.ByteSize).ToArray(), span.ToArray());
            Assert.AreEqual(file.Length, r.FileLength);
            Assert.AreEqual(0, (long)Unsafe_Address(span) % 64, "tensor data in the mapping is 64-byte aligned");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static unsafe nint Unsafe_Address(ReadOnlySpan<byte> s)
    {
        fixed (byte* p = &MemoryMarshal.GetReference(s))
        {
            return (nint)p;
        }
    }

    [TestMethod]
    public void Writer_refuses_what_the_reader_would_refuse()
    {
        var w = new BlobWriter();
        Assert.ThrowsExactly<ArgumentException>(() => w.SetMetadata("NoNamespace", "x"));
        Assert.ThrowsExactly<ArgumentException>(() => w.AddF32("t", [2, 2], [1, 2, 3]));
        Assert.ThrowsExactly<ArgumentException>(() => w.AddTensor("q", ElementType.F32, [2], new float[2].AsSpan(), QuantizationParams.PerTensor(1, 0)));
        Assert.ThrowsExactly<ArgumentException>(() => w.AddTensor("q", ElementType.I8, [2, 3], new sbyte[6].AsSpan(), QuantizationParams.PerChannel(1, [1f, 1f])));
        w.AddF32("t", [1], [1]);
        Assert.ThrowsExactly<ArgumentException>(() => w.AddF32("t", [1], [1]));
        w.Graph = new GraphDef([new ValueInfo("x", ElementType.F32, -1, 1), new ValueInfo("y", ElementType.F32, -1, 1)], [0], [1],
            [new OperatorDef(Opcode.Dense, [TensorRef.Value(0), TensorRef.Weight(5)], [1], [])]);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => w.ToArray());
        StringAssert.Contains(e.Message, "graph.operators[0].inputs[1]");
    }
}
