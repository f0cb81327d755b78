using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Cli;
using EdgeNet.Tests.Shared;

namespace EdgeNet.Runtime.Tests;

[TestClass]
public sealed class InspectCommandTests
{
    internal static string WriteMlpBlob(string dir) => TestBlobs.WriteMlp(dir);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [TestMethod]
    public void Diff_reports_the_one_weight_changed_by_hand_and_the_metadata_key()
    {
        var dir = Directory.CreateTempSubdirectory("edgenet-diff-");
        try
        {
            string a = WriteMlpBlob(dir.FullName);
            string b = Path.Combine(dir.FullName, "b.enb");
            using (var reader = BlobReader.Open(a))
            {
                var w = BlobWriter.CopyOf(reader);
                float[] kernel = reader.ReadAsFloat(reader.FindTensor("dense_1.kernel"));
                float largest = kernel.Max(MathF.Abs);
                kernel[7] += 0.25f;
                w.ReplaceF32("dense_1.kernel", kernel);
                float[] bias = reader.ReadAsFloat(reader.FindTensor("dense.bias"));
                bias[3] = MathF.BitIncrement(bias[3]); // the smallest change a float can make still counts
                bias[5] = float.NaN; // and a weight that became NaN is the largest change there is
                w.ReplaceF32("dense.bias", bias);
                w.SetMetadata("finetune.steps", EnbValue.I64(3));
                w.Write(b);
                var (code, output, err) = Run("diff", a, b);
                Assert.AreEqual(0, code, err);
                StringAssert.Contains(output, "tensors: 2 of 4 differ (2 equal, not listed; --all lists them)");
                string biasRow = output.Split('\n').Single(l => l.StartsWith("dense.bias ", StringComparison.Ordinal)).TrimEnd();
                StringAssert.EndsWith(biasRow, " 2.0%", "two of 100 biases");
                StringAssert.Contains(biasRow, "changed  Infinity", "the NaN shows as an infinite change");
                string row = output.Split('\n').Single(l => l.StartsWith("dense_1.kernel ", StringComparison.Ordinal));
                var cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // By hand: one element of 1,000 moved by 0.25 (as f32 stores it).
                double delta = (double)kernel[7] - (kernel[7] - 0.25f);
                Assert.AreEqual(delta, double.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture), 1e-6, row);
                Assert.AreEqual(delta / 1000, double.Parse(cells[4], System.Globalization.CultureInfo.InvariantCulture), 1e-8, row);
                Assert.AreEqual((100 * delta / largest).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + "%", cells[5], row);
                Assert.AreEqual("0.1%", cells[6], row);
                StringAssert.Contains(output, "finetune.steps");
                StringAssert.Contains(output, "(absent)");
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void Bench_reports_percentiles_arena_and_no_allocation_per_invoke()
    {
        var dir = Directory.CreateTempSubdirectory("edgenet-bench-");
        try
        {
            string blob = WriteMlpBlob(dir.FullName);
            var (code, output, err) = Run("bench", blob, "--batch", "1,4", "--seconds", "0.2", "--profile");
            Assert.AreEqual(0, code, err);
            foreach (int b in new[] { 1, 4 })
            {
                string line = output.Split('\n').Single(l => l.StartsWith($"batch {b,3}:", StringComparison.Ordinal));
                StringAssert.Contains(line, "allocated/invoke 0 B", $"batch {b}: Invoke allocates nothing");
                StringAssert.Contains(line, "p50 ");
                StringAssert.Contains(line, "p99 ");
                StringAssert.Contains(line, "arena ");
            }

            StringAssert.Contains(output, "op  1 Dense", "--profile prints each operator");
            StringAssert.Contains(output, "peak RSS ");

            var (bad, _, why) = Run("bench", blob, "--kernels", "fastest");
            Assert.AreEqual(2, bad);
            StringAssert.Contains(why, "--kernels must be simd or reference, not 'fastest'");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void Eval_takes_the_same_data_grammar_as_the_trainer()
    {
        // mnist=PATH, a bare IDX folder and digits=PATH: the grammar edgenet-train takes (Datasets.Load).
        const string Idx = "/usr/share/datasets/fashion-mnist";
        Assert.IsTrue(Directory.Exists(Idx), "Fashion-MNIST IDX files missing: apt-get install dataset-fashion-mnist (scripts/setup.sh does)");
        var dir = Directory.CreateTempSubdirectory("edgenet-eval-");
        try
        {
            string blob = WriteMlpBlob(dir.FullName);
            foreach (var (spec, name) in new[] { ($"mnist={Idx}", "mnist/test"), (Idx, "mnist/test"), ($"digits={Formats.Data.Datasets.DefaultDigitsFolder()}", "mnist-digits/test"), ("fashion", "fashion-mnist/test") })
            {
                var (code, output, err) = Run("eval", blob, "--data", spec, "--limit", "40");
                Assert.AreEqual(0, code, $"--data {spec}: {err}");
                StringAssert.Contains(output, $"/40) on {name}", $"--data {spec}");
            }

            var (bad, _, why) = Run("eval", blob, "--data", "nosuch");
            Assert.AreEqual(2, bad);
            StringAssert.Contains(why, "--data 'nosuch': not a dataset name nor an existing file or folder");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void Inspect_prints_header_metadata_tensors_and_layers()
    {
        var dir = Directory.CreateTempSubdirectory("edgenet-inspect-");
        try
        {
            string path = WriteMlpBlob(dir.FullName);
            var (code, output, err) = Run("inspect", path, "--verify");
            Assert.AreEqual(0, code, err);
            StringAssert.Contains(output, ".enb version 1, alignment 64");
            StringAssert.Contains(output, "training.accuracy     f32         0.9479");
            StringAssert.Contains(output, "general.input_shape   array[i32]  [28, 28, 1]");
            StringAssert.Contains(output, "Tensors (4, 318,040 bytes)");
            StringAssert.Contains(output, "dense.kernel    f32   [784, 100]");
            StringAssert.Contains(output, "inputs input f32[N, 28, 28, 1]; outputs probs f32[N, 10]");
            StringAssert.Contains(output, "dense    flat, dense.kernel, dense.bias");
            StringAssert.Contains(output, "units=100 activation=\"relu\"");
            StringAssert.Contains(output, "verified: all 4 tensor hashes match");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void Inspect_of_a_corrupt_blob_prints_one_clear_line_and_exits_2()
    {
        var dir = Directory.CreateTempSubdirectory("edgenet-inspect-");
        try
        {
            string path = WriteMlpBlob(dir.FullName);
            byte[] b = File.ReadAllBytes(path);
            b[^30] ^= 0xFF; // a weight byte of the last tensor (40 bytes, then 24 bytes of padding)
            File.WriteAllBytes(path, b);
            var (code, _, err) = Run("inspect", path, "--verify");
            Assert.AreEqual(2, code);
            StringAssert.Contains(err, path);
            StringAssert.Contains(err, "field 'tensors[3].hash'");
            StringAssert.Contains(err, "dense_1.bias");

            File.WriteAllBytes(path, b.AsSpan(0, 1000).ToArray());
            (code, _, err) = Run("inspect", path);
            Assert.AreEqual(2, code);
            StringAssert.Contains(err, "field 'file_size' at byte 96");
            StringAssert.Contains(err, "truncated");

            (code, _, err) = Run("inspect", Path.Combine(dir.FullName, "missing.enb"));
            Assert.AreEqual(2, code);
            StringAssert.Contains(err, "no such blob file");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
