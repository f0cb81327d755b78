using System.IO.Compression;
using System.Text;
using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Data;

namespace EdgeNet.Trainer.Tests;

[TestClass]
public sealed class DataTests
{
    [TestMethod]
    public void Digits_split_is_8000_2000_fixed_and_covers_every_class()
    {
        var a = Datasets.LoadDigits();
        var b = Datasets.LoadDigits();
        Assert.AreEqual(8000, a.Train.Count);
        Assert.AreEqual(2000, a.Test.Count);
        CollectionAssert.AreEqual(a.Test.Labels, b.Test.Labels, "the split is deterministic");
        Assert.AreEqual(10, a.Test.Labels.Distinct().Count());
        Assert.AreEqual(10_000, a.Train.Labels.Concat(a.Test.Labels).Count());
        // Per-class counts of the npm package: 1001 zeros, 1127 ones, ... summed over both halves.
        Assert.AreEqual(1001, a.Train.Labels.Count(l => l == 0) + a.Test.Labels.Count(l => l == 0));
        Assert.AreEqual(1127, a.Train.Labels.Count(l => l == 1) + a.Test.Labels.Count(l => l == 1));
        Assert.IsTrue(a.Train.Images.All(v => v is >= 0 and <= 1));
    }

    [TestMethod]
    public void Fashion_mnist_idx_files_load_with_60000_and_10000_balanced_samples()
    {
        if (!Directory.Exists(Datasets.FashionFolder))
        {
            Assert.Fail($"{Datasets.FashionFolder} is missing: run scripts/setup.sh (installs dataset-fashion-mnist)");
        }

        var f = Datasets.LoadFashionMnist();
        Assert.AreEqual(60_000, f.Train.Count);
        Assert.AreEqual(10_000, f.Test.Count);
        Assert.IsTrue(Enumerable.Range(0, 10).All(c => f.Train.Labels.Count(l => l == c) == 6000), "6,000 training images per class");
        Assert.AreEqual("Ankle boot", f.Train.ClassNames[9]);
        Assert.AreEqual(28, f.Train.Height);
    }

    [TestMethod]
    public void Keras_mnist_npz_is_read()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mnist-{Guid.NewGuid():N}.npz");
        try
        {
            using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
            {
                AddNpy(zip, "x_train", [3, 28, 28], Enumerable.Range(0, 3 * 784).Select(i => (byte)(i % 256)).ToArray());
                AddNpy(zip, "y_train", [3], [7, 2, 1]);
                AddNpy(zip, "x_test", [2, 28, 28], new byte[2 * 784]);
                AddNpy(zip, "y_test", [2], [0, 9]);
            }

            var m = Datasets.LoadMnist(path);
            Assert.AreEqual(3, m.Train.Count);
            CollectionAssert.AreEqual(new[] { 7, 2, 1 }, m.Train.Labels);
            Assert.AreEqual(255 / 255f, m.Train.Images[255]);
            Assert.AreEqual(1 / 255f, m.Train.Images[257]);
            CollectionAssert.AreEqual(new[] { 0, 9 }, m.Test.Labels);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AddNpy(ZipArchive zip, string name, int[] shape, byte[] data)
    {
        string header = $"{{'descr': '|u1', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")}), }}";
        header = header.PadRight(((header.Length + 11) / 64 * 64) + 64 - 11) + "\n";
        using var s = zip.CreateEntry(name + ".npy").Open();
        s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        s.Write(BitConverter.GetBytes((ushort)header.Length));
        s.Write(Encoding.ASCII.GetBytes(header));
        s.Write(data);
    }

    [TestMethod]
    public void Malformed_files_give_clear_errors()
    {
        string dir = Directory.CreateTempSubdirectory("edgenet-data-").FullName;
        try
        {
            string idx = Path.Combine(dir, "train-images-idx3-ubyte");
            File.WriteAllBytes(idx, [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3]);
            var e = Assert.ThrowsExactly<DatasetException>(() => Idx.ReadBytes(idx));
            StringAssert.Contains(e.Message, "truncated");
            StringAssert.Contains(e.Message, idx);

            var missing = Assert.ThrowsExactly<DatasetException>(() => Datasets.LoadDigits(dir));
            StringAssert.Contains(missing.Message, "scripts/setup.sh");

            File.WriteAllText(Path.Combine(dir, "0.json"), "{\"data\":[0,0.5,");
            for (int i = 1; i < 10; i++)
            {
                File.WriteAllText(Path.Combine(dir, $"{i}.json"), "{\"data\":[]}");
            }

            var json = Assert.ThrowsExactly<DatasetException>(() => DigitsJson.Load(dir));
            StringAssert.Contains(json.Message, "0.json");

            var fashion = Assert.ThrowsExactly<DatasetException>(() => Datasets.LoadFashionMnist(dir));
            StringAssert.Contains(fashion.Message, "dataset-fashion-mnist");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Text_corpus_batches_follow_the_chapters_get_batch()
    {
        var corpus = new TextCorpus("Hello world, hello edge. " + new string('x', 200), seed: 3);
        CollectionAssert.AreEqual(corpus.Chars.Order().ToArray(), corpus.Chars);
        Assert.IsFalse(corpus.Chars.Contains('H'), "lower-cased");
        var (x, y) = corpus.GetBatch(seqLength: 10, batchSize: 4);
        Assert.AreEqual(new EdgeNet.Trainer.Tensors.Shape(4, 10), x.Shape);
        for (int b = 0; b < 4; b++)
        {
            // Find the window in the text: y is the char after it.
            var window = x.Data.Skip(b * 10).Take(10).Select(v => (int)v).ToArray();
            int start = Enumerable.Range(0, corpus.Text.Length - 10).First(i => corpus.Text.AsSpan(i, 10).SequenceEqual(window));
            Assert.AreEqual(corpus.Text[start + 10], (int)y.Data[b]);
        }

        Assert.AreEqual("hello", corpus.Decode(corpus.Encode("Hello").Select(v => (int)v)));
        Assert.IsTrue(Directory.Exists(TextCorpus.FortunesFolder), $"the fortunes corpus is missing ({TextCorpus.FortunesFolder}): apt-get install fortunes (scripts/setup.sh does)");
        var fortunes = TextCorpus.Load(maxChars: 200_000);
        Assert.AreEqual(200_000, fortunes.RawText.Length);
        Assert.IsGreaterThan(30, fortunes.NumChars);
    }
}
