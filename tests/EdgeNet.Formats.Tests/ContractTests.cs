using System.Buffers.Binary;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Tests;

/// <summary>The contract tables against docs/format.md, its geometry and arithmetic against hand computations, and its refusals.</summary>
[TestClass]
public sealed class ContractTests
{
    private static string FormatDoc()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string p = Path.Combine(d.FullName, "docs", "format.md");
            if (File.Exists(p))
            {
                return File.ReadAllText(p);
            }
        }

        throw new FileNotFoundException("docs/format.md not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The table rows (lines starting with '|', header and rule skipped) under the heading <paramref name="heading"/>.</summary>
    private static List<string> TableUnder(string doc, string heading)
    {
        var lines = doc.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int at = lines.IndexOf(heading);
        Assert.IsGreaterThanOrEqualTo(0, at, $"docs/format.md has no heading '{heading}'");
        int start = lines.FindIndex(at, l => l.StartsWith('|'));
        var rows = lines.Skip(start).TakeWhile(l => l.StartsWith('|')).ToList();
        return rows.Skip(2).ToList();
    }

    private static void AssertTable(List<string> expected, List<string> documented, string what)
    {
        string want = string.Join("\n", expected);
        Assert.AreEqual(want, string.Join("\n", documented), $"docs/format.md's {what} table differs from the contract; it should read:\n{want}\n");
    }

    [TestMethod]
    public void Docs_operator_table_is_the_schema()
    {
        static string AttrCell(AttributeSpec a) => $"`{a.Name}`: {a.TypeText}, {a.DefaultText}";
        var expected = OperatorSchemas.All.Select(s =>
            $"| {(ushort)s.Opcode} | `{s.Name}` | {s.InputsText} | {(s.Attributes.Count == 0 ? "—" : string.Join("; ", s.Attributes.Select(AttrCell)))} | {s.Meaning} |").ToList();
        AssertTable(expected, TableUnder(FormatDoc(), "### Operators"), "operator");
        Assert.HasCount(Enum.GetValues<Opcode>().Length, OperatorSchemas.All, "every opcode has a schema row");
    }

    [TestMethod]
    public void Docs_metadata_table_is_the_key_table()
    {
        var expected = MetadataKeys.All.Select(k => $"| `{k.Name}` | {k.TypeText} | {k.Meaning} |").ToList();
        AssertTable(expected, TableUnder(FormatDoc(), "## Metadata section"), "metadata key");
    }

    [TestMethod]
    public void Same_and_valid_windows_match_hand_computed_keras_geometry()
    {
        // 'same', 28x28, 5x5, stride 1: out 28, pad (5-1)/2 = 2 each side.
        var g = WindowGeometry.Create(28, 28, 5, 5, 1, 1, same: true);
        Assert.AreEqual((28, 28, 2, 2, 2, 2), (g.OutH, g.OutW, g.PadTop, g.PadLeft, g.PadBottom, g.PadRight));
        // 'same', 7x7, 2x2, stride 2: out ceil(7/2) = 4, total pad (4-1)·2+2-7 = 1: 0 on top, 1 below (TensorFlow's split).
        g = WindowGeometry.Create(7, 7, 2, 2, 2, 2, same: true);
        Assert.AreEqual((4, 4, 0, 0, 1, 1), (g.OutH, g.OutW, g.PadTop, g.PadLeft, g.PadBottom, g.PadRight));
        // 'valid', 28x28, 2x2 pool stride 2: out 14, no padding; 6x5 with a 3x3 kernel stride 2: out 2x2.
        g = WindowGeometry.Create(28, 28, 2, 2, 2, 2, same: false);
        Assert.AreEqual((14, 14, 0, 0, 0, 0), (g.OutH, g.OutW, g.PadTop, g.PadLeft, g.PadBottom, g.PadRight));
        g = WindowGeometry.Create(6, 5, 3, 3, 2, 2, same: false);
        Assert.AreEqual((2, 2), (g.OutH, g.OutW));

        StringAssert.Contains(WindowGeometry.Problem(2, 2, 3, 3, 1, 1, same: false, "kernel"), "the input 2x2 is smaller than the 3x3 kernel with padding 'valid'");
        StringAssert.Contains(WindowGeometry.Problem(8, 8, 3, 3, 0, 1, same: true), "must each be >= 1");
        Assert.IsNull(WindowGeometry.Problem(2, 2, 3, 3, 1, 1, same: true));
    }

    [TestMethod]
    public void Requantization_equals_the_real_multiplication_rounded_half_up()
    {
        var rng = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            double m = Math.Pow(2, (rng.NextDouble() * 20) - 16);
            var (q, shift) = Int8Arithmetic.QuantizeMultiplier(m);
            Assert.IsGreaterThanOrEqualTo(1 << 30, q, $"multiplier {q} is normalized to [2^30, 2^31)");
            int acc = rng.Next(-1_000_000, 1_000_000);
            int zp = rng.Next(-128, 128);
            // The exact fixed-point product, by hand in decimal: acc·q·2^(shift−31), rounded half up.
            decimal exact = acc * (decimal)q * (decimal)Math.Pow(2, shift - 31);
            long rounded = (long)Math.Floor(exact + 0.5m);
            long expected = Math.Clamp(zp + rounded, -128, 127);
            Assert.AreEqual(expected, (long)Int8Arithmetic.Requantize(acc, q, shift, zp, -128), $"acc {acc} · {m}");
            // And the fixed-point multiplier is the real one to 2^-30 relative.
            Assert.AreEqual(m, q * Math.Pow(2, shift - 31), m * 1e-9);
        }

        Assert.AreEqual((sbyte)5, Int8Arithmetic.Requantize(-1000, 1 << 30, 0, 5, 5), "a fused ReLU clamps at max(-128, zp_out)");
        Assert.AreEqual((sbyte)-3, Int8Arithmetic.Quantize(-2.5f * 0.1f, 0.1f, 0), "round half away from zero: -2.5 → -3");
    }

    [TestMethod]
    public void Writer_refuses_what_the_contract_refuses_naming_the_field()
    {
        static Exception Fails(params KeyValuePair<string, EnbValue>[] attrs)
        {
            var w = new BlobWriter();
            int k = w.AddF32("k", [4, 3], new float[12]);
            w.Graph = new GraphDef([new ValueInfo("x", ElementType.F32, -1, 4), new ValueInfo("y", ElementType.F32, -1, 3)], [0], [1],
                [new OperatorDef(Opcode.Dense, [TensorRef.Value(0), TensorRef.Weight(k)], [1], attrs)]);
            return Assert.ThrowsExactly<InvalidOperationException>(() => w.ToArray());
        }

        StringAssert.Contains(Fails(KeyValuePair.Create("use_bias", EnbValue.Bool(true))).Message, "graph.operators[0].attributes.use_bias: dense has no attribute 'use_bias' (it takes units, activation)");
        StringAssert.Contains(Fails(KeyValuePair.Create("activation", EnbValue.String("gelu"))).Message, "attribute 'activation' is 'gelu'; it must be 'linear' or 'relu' or 'tanh' or 'sigmoid'");
        StringAssert.Contains(Fails(KeyValuePair.Create("units", EnbValue.F32(3))).Message, "attribute 'units' is f32; it must be an i32");
        StringAssert.Contains(Fails(KeyValuePair.Create("units", EnbValue.I32(0))).Message, "attribute 'units' is 0; it must be >= 1");

        var w2 = new BlobWriter();
        w2.AddF32("k", [4, 3], new float[12]);
        w2.Graph = new GraphDef([new ValueInfo("x", ElementType.F32, -1, 4), new ValueInfo("y", ElementType.F32, -1, 3)], [0], [1],
            [new OperatorDef(Opcode.Dense, [TensorRef.Weight(0), TensorRef.Value(0)], [1], [])]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => w2.ToArray()).Message, "graph.operators[0].inputs[0]: dense input 0 ('x') must be a value");

        var e = Assert.ThrowsExactly<ArgumentException>(() => new BlobWriter().SetMetadata("general.input_shape", EnbValue.String("28,28")));
        StringAssert.Contains(e.Message, "metadata 'general.input_shape' is string; the contract says i32 array");
    }

    [TestMethod]
    public void Reader_refuses_a_resealed_blob_whose_attribute_or_metadata_breaks_the_contract()
    {
        // A valid blob, then one byte changed as a buggy writer would have written it, and the hashes recomputed.
        var w = new BlobWriter();
        w.SetMetadata("general.name", "contract");
        w.SetMetadata("training.accuracy", EnbValue.F32(0.5f));
        int k = w.AddF32("k", [3, 3, 1, 2], new float[18]);
        w.Graph = new GraphDef([new ValueInfo("x", ElementType.F32, -1, 8, 8, 1), new ValueInfo("y", ElementType.F32, -1, 8, 8, 2)], [0], [1],
            [new OperatorDef(Opcode.Conv2D, [TensorRef.Value(0), TensorRef.Weight(k)], [1], [Attr.Strides.With(1, 7), Attr.Padding.With("same")])]);
        byte[] good = w.ToArray();
        using (BlobReader.FromBytes(good, "good.enb")) { }

        // strides [1, 7] → [1, 0]: the array's second i32.
        byte[] b = (byte[])good.Clone();
        int at = IndexOf(b, [1, 0, 0, 0, 7, 0, 0, 0]) + 4;
        b[at] = 0;
        Reseal(b);
        var e = Assert.ThrowsExactly<EnbFormatException>(() => BlobReader.FromBytes(b, "strides.enb").Dispose());
        StringAssert.Contains(e.Message, "strides.enb");
        StringAssert.Contains(e.Message, "graph.operators[0].attributes.strides");
        StringAssert.Contains(e.Message, "attribute 'strides' is [1, 0]; it needs two values, each >= 1");

        // training.accuracy's tag f32 (8) → i32 (5): same size, wrong type for a contract key.
        b = (byte[])good.Clone();
        at = IndexOf(b, "training.accuracy"u8.ToArray()) + "training.accuracy".Length;
        Assert.AreEqual(8, b[at], "the value tag follows the key");
        b[at] = 5;
        Reseal(b);
        e = Assert.ThrowsExactly<EnbFormatException>(() => BlobReader.FromBytes(b, "meta.enb").Dispose());
        StringAssert.Contains(e.Message, "metadata 'training.accuracy' is i32; the contract says f32");
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        int i = haystack.AsSpan().IndexOf(needle);
        Assert.IsGreaterThanOrEqualTo(0, i, "pattern present");
        return i;
    }

    private static void Reseal(byte[] b)
    {
        long metaOff = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(32));
        long graphEnd = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(64)) + BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(72));
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(104), System.IO.Hashing.XxHash64.HashToUInt64(b.AsSpan((int)metaOff, (int)(graphEnd - metaOff))));
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(120), System.IO.Hashing.XxHash64.HashToUInt64(b.AsSpan(0, 120)));
    }
}
