using System.Globalization;
using System.Text.RegularExpressions;
using EdgeNet.Formats.Data;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Models;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// <c>edgenet finetune</c> and <c>edgenet bench --train</c> on a digits MLP the trainer made: digits at a new
/// angle lose accuracy, fine-tuning the last layer on the board on rotated samples wins some back (measured
/// on other rotated samples), frozen layers keep their bytes, a folder of labelled images trains too.
/// </summary>
[TestClass]
[DoNotParallelize] // trains with the process-wide seed
public sealed partial class FinetuneCommandTests
{
    private static string s_dir = "";
    private static string s_blob = "";

    [ClassInitialize]
    public static void Train(TestContext _)
    {
        s_dir = Directory.CreateTempSubdirectory("edgenet-finetune-").FullName;
        s_blob = TestModels.TrainMlp(s_dir, steps: 300, seed: 5);
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(s_dir, recursive: true);

    [GeneratedRegex(@"(before|after): +accuracy ([0-9.]+)")]
    private static partial Regex AccuracyLine();

    [TestMethod]
    public void Rotated_digits_lose_accuracy_and_fine_tuning_the_last_layer_wins_it_back()
    {
        string outPath = Path.Combine(s_dir, "rotated.enb");
        var (code, output, err) = CliRunner.Run("finetune", s_blob, "--data", "digits", "--out", outPath, "--layers", "last:1", "--steps", "150",
            "--lr", "0.003", "--rotate", "20:30", "--train-limit", "1000", "--eval-limit", "500");
        Assert.AreEqual(0, code, err);
        var acc = AccuracyLine().Matches(output).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        StringAssert.Contains(output, "on 500 held-out samples of mnist-digits/test rotated 20-30 deg");

        // The same model on the upright held-out digits, for the drop the rotation causes.
        var (evalCode, evalOut, _) = CliRunner.Run("eval", s_blob, "--data", "digits", "--limit", "500");
        Assert.AreEqual(0, evalCode);
        double upright = double.Parse(Regex.Match(evalOut, @"accuracy: ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.IsGreaterThan(acc["before"] + 0.05, upright, $"rotation costs accuracy: upright {upright}, rotated {acc["before"]}");
        Assert.IsGreaterThan(acc["before"] + 0.02, acc["after"], $"fine-tuning on rotated digits wins accuracy back:\n{output}");

        using var before = BlobReader.Open(s_blob);
        using var after = BlobReader.Open(outPath, new BlobReadOptions { VerifyTensorHashes = true });
        Assert.AreEqual(150L, after.GetMetadata("finetune.steps")!.AsInt64());
        string lastLayer = before.Tensors[^1].Name.Split('/')[0];   // the last Dense's bias is the last tensor
        Assert.AreEqual(lastLayer, after.GetMetadata("finetune.layers")!.AsString());
        for (int i = 0; i < before.Tensors.Count; i++)
        {
            bool last = before.Tensors[i].Name.StartsWith(lastLayer + "/", StringComparison.Ordinal);
            Assert.AreEqual(!last, before.GetTensorBytes(i).SequenceEqual(after.GetTensorBytes(i)), $"{before.Tensors[i].Name}: {(last ? "learned" : "frozen, the same bytes")}");
        }

        // edgenet diff tells which layers the fine-tune touched: the last layer's two tensors, nothing else.
        var (diffCode, diff, diffErr) = CliRunner.Run("diff", s_blob, outPath);
        Assert.AreEqual(0, diffCode, diffErr);
        StringAssert.Contains(diff, $"tensors: 2 of {before.Tensors.Count} differ");
        StringAssert.Contains(diff, "finetune.steps");
        StringAssert.Contains(diff, "graph: the same operators and attributes");
        var changed = diff.Split('\n').Where(l => l.Contains(" changed ", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToArray();
        CollectionAssert.AreEquivalent(new[] { lastLayer + "/kernel", lastLayer + "/bias" }, changed, diff);
    }

    [TestMethod]
    public void A_folder_of_labelled_images_trains_and_a_stray_folder_is_named()
    {
        string folder = Path.Combine(s_dir, "mine");
        var digits = Datasets.LoadDigits().Test.Take(60);
        for (int i = 0; i < digits.Count; i++)
        {
            // Binary PGM (P5), 28x28, the digit's pixels as they are.
            string dir = Directory.CreateDirectory(Path.Combine(folder, digits.Labels[i].ToString(CultureInfo.InvariantCulture))).FullName;
            byte[] header = System.Text.Encoding.ASCII.GetBytes("P5\n28 28\n255\n");
            byte[] pixels = digits.Image(i).ToArray().Select(v => (byte)Math.Round(v * 255)).ToArray();
            File.WriteAllBytes(Path.Combine(dir, $"{i:D3}.pgm"), [.. header, .. pixels]);
        }

        string outPath = Path.Combine(s_dir, "mine.enb");
        var (code, output, err) = CliRunner.Run("finetune", s_blob, "--data", folder, "--out", outPath, "--steps", "5", "--batch", "8", "--print-losses");
        Assert.AreEqual(0, code, err);
        string[] losses = Regex.Match(output, "^losses: (.*)$", RegexOptions.Multiline).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(5, losses, "--print-losses: one loss per step (verify-arm64 compares them across machines)");
        Assert.IsTrue(losses.All(l => float.IsFinite(float.Parse(l, CultureInfo.InvariantCulture))));
        StringAssert.Contains(output, "on 12 held-out samples of mine (held out)");
        StringAssert.Contains(output, "on 48 samples: 5 steps of batch 8");

        Directory.CreateDirectory(Path.Combine(folder, "x"));
        File.Copy(Directory.EnumerateFiles(Path.Combine(folder, digits.Labels[0].ToString(CultureInfo.InvariantCulture))).First(), Path.Combine(folder, "x", "a.pgm"));
        (code, _, err) = CliRunner.Run("finetune", s_blob, "--data", folder, "--out", outPath, "--steps", "5");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "'x' is not a class of the model");
    }

    [TestMethod]
    public void Bench_train_prints_step_times_the_arena_and_no_allocation()
    {
        var (code, output, err) = CliRunner.Run("bench", s_blob, "--train", "--batch", "16", "--seconds", "0.2");
        Assert.AreEqual(0, code, err);
        StringAssert.Contains(output, "train batch  16: p50 ");
        StringAssert.Contains(output, "allocated/step 0 B");
        StringAssert.Contains(output, "loss SparseCategoricalCrossentropy");

        (code, _, err) = CliRunner.Run("bench", s_blob, "--train", "--batch", "4", "--loss", "hinge");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "--loss 'hinge': use sce, mse or huber");
    }

    [TestMethod]
    public void Int8_after_fine_tuning_acts_as_the_float_weights_do()
    {
        string outPath = Path.Combine(s_dir, "rotated-int8.enb");
        var (code, output, err) = CliRunner.Run("finetune", s_blob, "--data", "digits", "--out", outPath, "--layers", "last:1", "--steps", "60",
            "--rotate", "20:30", "--train-limit", "500", "--eval-limit", "500", "--int8", "--calibration", "200");
        Assert.AreEqual(0, code, err);
        double f = double.Parse(Regex.Match(output, @"after: +accuracy ([0-9.]+) with the float weights").Groups[1].Value, CultureInfo.InvariantCulture);
        double q = double.Parse(Regex.Match(output, @"after: +accuracy ([0-9.]+) on the same held-out samples, int8 on the board").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.AreEqual(f, q, 0.02, "the int8 blob within 2 points of the float weights it came from");
        using var r = BlobReader.Open(outPath, new BlobReadOptions { VerifyTensorHashes = true });
        Assert.AreEqual("int8", r.GetMetadata("quantization.scheme")!.AsString());
        StringAssert.StartsWith(r.GetMetadata("quantization.calibration")!.AsString(), "minmax over 200 samples");
        Assert.AreEqual(60L, r.GetMetadata("finetune.steps")!.AsInt64());
        Assert.IsTrue(r.Graph!.Operators.Any(o => o.Opcode == Opcode.Quantize), "an int8 region with its quantize op");
    }

    [TestMethod]
    public void A_mobilenet_learns_its_head_on_a_folder_of_photos_with_the_body_frozen()
    {
        // A MobileNetV2 (alpha 0.35, 32x32) exported as f32 with three classes, and a folder of RGB photos of those classes:
        // its classifier learns on the board (the depthwise body runs frozen on the inference kernels), then int8.
        KerasBackend.SetRandomSeed(9);
        var dir = Directory.CreateTempSubdirectory("edgenet-finetune-mnv2-");
        try
        {
            var (photos, blob) = SmallMobileNet.Export(dir.FullName, 16, recalibrationBatches: 3, batchSize: 16, "mnv2-f32.enb");

            string outPath = Path.Combine(dir.FullName, "mnv2-ft.enb");
            var (code, output, err) = CliRunner.Run("finetune", blob, "--data", photos, "--out", outPath, "--layers", "last:1", "--steps", "60", "--batch", "8", "--lr", "0.01", "--print-losses");
            Assert.AreEqual(0, code, err + output);
            StringAssert.Contains(output, "training predictions on 38 samples");
            StringAssert.Contains(output, "operators below run frozen");
            var losses = Regex.Match(output, "losses: (.*)").Groups[1].Value.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.HasCount(60, losses);
            Assert.IsLessThan(losses.Take(10).Average() * 0.8, losses.TakeLast(10).Average(), $"the head learns: {output}");

            // The frozen body keeps its bytes; only the classifier changed.
            using (var before = BlobReader.Open(blob))
            using (var after = BlobReader.Open(outPath, new BlobReadOptions { VerifyTensorHashes = true }))
            {
                Assert.AreEqual("predictions", after.GetMetadata("finetune.layers")!.AsString());
                for (int i = 0; i < before.Tensors.Count; i++)
                {
                    bool head = before.Tensors[i].Name.StartsWith("predictions/", StringComparison.Ordinal);
                    bool same = before.GetTensorBytes(i).SequenceEqual(after.GetTensorBytes(after.FindTensor(before.Tensors[i].Name)).ToArray());
                    Assert.AreEqual(!head, same, $"{before.Tensors[i].Name}: {(head ? "trained, so changed" : "frozen, so unchanged")}");
                }
            }

            // Re-quantized to int8 after learning: the whole network, body included, acts in int8 on the board.
            string int8Path = Path.Combine(dir.FullName, "mnv2-ft-int8.enb");
            (code, output, err) = CliRunner.Run("finetune", blob, "--data", photos, "--out", int8Path, "--layers", "last:1", "--steps", "20", "--batch", "8", "--int8", "--calibration", "16");
            Assert.AreEqual(0, code, err + output);
            StringAssert.Contains(output, "int8 on the board");
            using var q = BlobReader.Open(int8Path);
            Assert.AreEqual("int8", q.GetMetadata("quantization.scheme")!.AsString());
            Assert.IsTrue(q.Graph!.Operators.Any(o => o.Opcode == Opcode.DepthwiseConv2D && q.Graph.Values[o.Outputs[0]].Type == ElementType.I8), "the body's depthwise convolutions run in int8");

            // Two layers: the last 1x1 convolution (ReLU6 fused) learns too, through the global average pooling's backward.
            (code, output, err) = CliRunner.Run("finetune", blob, "--data", photos, "--out", Path.Combine(dir.FullName, "mnv2-ft2.enb"), "--layers", "last:2", "--steps", "5", "--batch", "8");
            Assert.AreEqual(0, code, err + output);
            StringAssert.Contains(output, "training Conv_1, predictions on 38 samples");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
