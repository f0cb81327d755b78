using System.Buffers.Binary;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Tests;

/// <summary>
/// Truncations and seeded random mutations of a valid blob: each either reads (and every
/// accessor then works) or throws <see cref="EnbFormatException"/>; never another exception
/// type, a hang or a large allocation.
/// </summary>
[TestClass]
public sealed class HostileInputTests
{
    private static readonly byte[] Valid = SampleBlobs.EveryType().ToArray();

    /// <summary>Generous bound: a valid parse of the ~3 KB sample allocates well under this.</summary>
    private const long MaxAllocatedBytesPerParse = 1 << 20;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public void Truncation_at_every_byte_gives_the_format_exception()
    {
        for (int n = 0; n < Valid.Length; n++)
        {
            var e = Assert.ThrowsExactly<EnbFormatException>(() => Parse(Valid.AsSpan(0, n).ToArray(), BlobReadOptions.Default), $"truncated to {n} bytes");
            StringAssert.Contains(e.Message, "truncated.enb");
        }
    }

    [TestMethod]
    public void Truncated_file_on_disk_names_the_file_and_field()
    {
        string path = Path.Combine(Path.GetTempPath(), $"enb-trunc-{Guid.NewGuid():N}.enb");
        try
        {
            foreach (int n in new[] { 0, 7, 127, 128, 500, Valid.Length - 1 })
            {
                File.WriteAllBytes(path, Valid.AsSpan(0, n).ToArray());
                var e = Assert.ThrowsExactly<EnbFormatException>(() => BlobReader.Open(path).Dispose());
                Assert.AreEqual(path, e.File);
                StringAssert.Contains(e.Message, path);
                Assert.IsTrue(e.Field is "header" or "file_size", $"truncated to {n}: field {e.Field}");
                StringAssert.Contains(e.Message, "Fix:");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Newer_format_version_says_to_update()
    {
        byte[] b = (byte[])Valid.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), 2);
        Rehash(b);
        var e = Assert.ThrowsExactly<EnbFormatException>(() => Parse(b, BlobReadOptions.Default));
        Assert.AreEqual("version", e.Field);
        Assert.AreEqual(8, e.Offset);
        StringAssert.Contains(e.Message, "update EdgeNet");
    }

    [TestMethod]
    public void Flipped_weight_byte_is_caught_by_the_tensor_hash()
    {
        byte[] b = (byte[])Valid.Clone();
        using (var ok = BlobReader.FromBytes(Valid))
        {
            b[ok.Header.DataOffset + ok.Tensors[2].Offset + 3] ^= 0x10;
        }

        using (var lax = BlobReader.FromBytes(b))
        {
            Assert.IsNotNull(lax.Graph, "without hash checks the blob opens");
        }

        var e = Assert.ThrowsExactly<EnbFormatException>(() => Parse(b, new BlobReadOptions { VerifyTensorHashes = true }));
        Assert.AreEqual("tensors[2].hash", e.Field);
        StringAssert.Contains(e.Message, "dense_1.kernel");
    }

    [TestMethod]
    [Timeout(300_000, CooperativeCancellation = true)]
    public void Ten_thousand_seeded_mutations_never_escape_the_format_exception()
    {
        var rng = new Random(20261128);
        int rejected = 0, mustReject = 0;
        // The bytes the structure hash covers (the header is sealed by its own hash): from the metadata to the graph's end.
        long hashedEnd = BinaryPrimitives.ReadInt64LittleEndian(Valid.AsSpan(64)) + BinaryPrimitives.ReadInt64LittleEndian(Valid.AsSpan(72));
        for (int i = 0; i < 12_000; i++)
        {
            byte[] b = (byte[])Valid.Clone();
            Mutate(b, rng);
            bool structureChanged = !b.AsSpan(0, (int)hashedEnd).SequenceEqual(Valid.AsSpan(0, (int)hashedEnd));

            // Half the cases re-stamp the hashes so the parser itself, not the checksum, meets the damage.
            bool rehash = (i & 1) == 0;
            if (rehash)
            {
                Rehash(b);
            }

            var options = new BlobReadOptions { VerifyStructureHash = !rehash || rng.Next(2) == 0, VerifyTensorHashes = rng.Next(2) == 0 };
            // Damage to the header or the structure, not re-sealed, read with the structure hash checked: it must not pass.
            bool sealedAgainst = !rehash && options.VerifyStructureHash && structureChanged;
            mustReject += sealedAgainst ? 1 : 0;
            long before = GC.GetAllocatedBytesForCurrentThread();
            bool acceptedThis = false;
            try
            {
                Parse(b, options);
                acceptedThis = true;
            }
            catch (EnbFormatException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} escaped as {e.GetType().Name}: {e}");
            }

            Assert.IsFalse(acceptedThis && sealedAgainst, $"mutation {i} changed the header or structure but was accepted with the structure hash checked");
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.IsLessThan(MaxAllocatedBytesPerParse, allocated, $"mutation {i} allocated {allocated} bytes");
        }

        Assert.IsGreaterThan(5_000, rejected, $"only {rejected} mutations were rejected");
        Assert.IsGreaterThan(2_000, mustReject, "enough unsealed structure damage to judge the hash check");
    }

    /// <summary>Opens and walks everything a consumer would touch.</summary>
    private static void Parse(byte[] bytes, BlobReadOptions options)
    {
        using var r = BlobReader.FromBytes(bytes, "truncated.enb", options);
        for (int t = 0; t < r.Tensors.Count; t++)
        {
            _ = r.GetTensorBytes(t).Length;
            _ = r.ReadAsFloat(t);
        }

        foreach (var (_, v) in r.Metadata)
        {
            _ = v.ToString();
        }
    }

    private static void Mutate(byte[] b, Random rng)
    {
        int kind = rng.Next(5);
        int pos = rng.Next(b.Length);
        switch (kind)
        {
            case 0: // single bit flip
                b[pos] ^= (byte)(1 << rng.Next(8));
                break;
            case 1: // several random bytes
                for (int k = 0; k < 1 + rng.Next(8); k++)
                {
                    b[rng.Next(b.Length)] = (byte)rng.Next(256);
                }

                break;
            case 2: // a huge u32 (a count or a dim) somewhere in the structure
                pos = rng.Next(Math.Max(1, b.Length - 4));
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(pos), rng.Next(3) switch { 0 => uint.MaxValue, 1 => 0x8000_0000u, _ => (uint)rng.Next() });
                break;
            case 3: // a huge u64 into a header offset/size field
                pos = 32 + (8 * rng.Next(9));
                BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(pos), rng.Next(2) == 0 ? ulong.MaxValue - (ulong)rng.Next(100) : (ulong)rng.NextInt64());
                break;
            default: // a small off-by-some change of a u16/u32 length
                pos = rng.Next(Math.Max(1, b.Length - 2));
                ushort v = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(pos));
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(pos), (ushort)(v + rng.Next(-3, 4)));
                break;
        }
    }

    /// <summary>Recomputes structure and header hashes as an attacker (or a buggy writer) would.</summary>
    private static void Rehash(byte[] b)
    {
        long metaOff = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(32));
        long graphOff = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(64));
        long graphSize = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(72));
        if (metaOff >= 0 && graphOff >= 0 && graphSize >= 0 && metaOff <= b.Length && graphOff <= b.Length && graphSize <= b.Length - graphOff && graphOff + graphSize >= metaOff)
        {
            ulong h = System.IO.Hashing.XxHash64.HashToUInt64(b.AsSpan((int)metaOff, (int)(graphOff + graphSize - metaOff)));
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(104), h);
        }

        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(120), System.IO.Hashing.XxHash64.HashToUInt64(b.AsSpan(0, 120)));
    }
}
