using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Tests;

[TestClass]
public sealed class AtomicWriteTests
{
    /// <summary>A stream that fails like a full disk or a pulled plug after a number of bytes.</summary>
    private sealed class FailingStream(Stream inner, long failAfter) : Stream
    {
        private long _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            long room = failAfter - _written;
            if (buffer.Length > room)
            {
                inner.Write(buffer[..(int)Math.Max(0, room)]);
                inner.Flush();
                throw new IOException($"injected failure after {failAfter} bytes");
            }

            inner.Write(buffer);
            _written += buffer.Length;
        }
    }

    [TestMethod]
    public void Interrupted_write_at_any_point_leaves_the_previous_blob_intact()
    {
        string dir = Directory.CreateTempSubdirectory("enb-atomic-").FullName;
        try
        {
            string path = Path.Combine(dir, "model.enb");
            var old = SampleBlobs.EveryType(seed: 1);
            old.Write(path);
            byte[] oldBytes = File.ReadAllBytes(path);

            var replacement = SampleBlobs.EveryType(seed: 2);
            int newLength = replacement.ToArray().Length;
            var rng = new Random(5);
            var cuts = new List<long> { 0, 1, 127, 128, newLength - 1 };
            cuts.AddRange(Enumerable.Range(0, 40).Select(_ => (long)rng.Next(newLength)));
            foreach (long cut in cuts)
            {
                var e = Assert.ThrowsExactly<IOException>(() => replacement.Write(path, s => new FailingStream(s, cut)));
                StringAssert.Contains(e.Message, "injected failure");
                CollectionAssert.AreEqual(oldBytes, File.ReadAllBytes(path), $"cut after {cut} bytes changed the old file");
                using (var r = BlobReader.Open(path, new BlobReadOptions { VerifyTensorHashes = true }))
                {
                    Assert.AreEqual("mlp", r.GetMetadata("general.architecture")!.AsString());
                }

                CollectionAssert.AreEqual(new[] { "model.enb" }, Directory.GetFiles(dir).Select(Path.GetFileName).ToArray(), "a temp file was left behind");
            }

            // And an uninterrupted write replaces it.
            replacement.Write(path);
            CollectionAssert.AreEqual(replacement.ToArray(), File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Writing_into_a_missing_folder_says_so()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}", "m.enb");
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => SampleBlobs.EveryType().Write(path));
        StringAssert.Contains(e.Message, "create it first");
    }
}
