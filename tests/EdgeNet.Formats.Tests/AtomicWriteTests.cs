using EdgeNet.Formats.Enb;
using EdgeNet.Tests.Shared;

namespace EdgeNet.Formats.Tests;

[TestClass]
public sealed class AtomicWriteTests
{
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
