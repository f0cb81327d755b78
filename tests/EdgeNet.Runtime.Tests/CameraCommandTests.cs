using System.Globalization;
using System.Text.RegularExpressions;
using EdgeNet.Formats.Data;
using EdgeNet.Runtime.Input.Camera;
using StbImageWriteSharp;

namespace EdgeNet.Runtime.Tests;

/// <summary><c>edgenet camera --synthetic</c> and <c>edgenet classify</c> with a digit model trained here.</summary>
[TestClass]
[DoNotParallelize] // trains with the process-wide seed
public sealed class CameraCommandTests
{
    private static string s_dir = "";
    private static string s_blob = "";

    [ClassInitialize]
    public static void Train(TestContext _)
    {
        s_dir = Directory.CreateTempSubdirectory("edgenet-camera-").FullName;
        s_blob = TestModels.TrainMlp(s_dir, steps: 600, seed: 7);
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(s_dir, recursive: true);

    [TestMethod]
    public void Synthetic_camera_accuracy_is_near_the_models_on_the_clean_digits_it_drew()
    {
        const int N = 150;
        var (code, output, err) = CliRunner.Run("camera", "--synthetic", N.ToString(CultureInfo.InvariantCulture), "--model", s_blob);
        Assert.AreEqual(0, code, err + output);
        var m = Regex.Match(output, @"accuracy ([0-9.]+) \(([0-9]+)/150; .*the model on the same 150 clean 28x28 digits: ([0-9.]+)");
        Assert.IsTrue(m.Success, output);
        double camera = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), clean = double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);

        // The clean figure, independently: the first 150 held-out digits through the interpreter.
        var test = Datasets.LoadDigits().Test;
        using var it = Interpreter.Load(s_blob);
        int right = 0;
        for (int i = 0; i < N; i++)
        {
            var input = it.Input(1);
            for (int p = 0; p < 784; p++)
            {
                input[p] = test.Image(i)[p]; // the exported MLP's normalization is 1/255 of 0..255: the dataset's 0..1
            }

            it.Invoke(1);
            right += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(it.Output(1)) == test.Labels[i] ? 1 : 0;
        }

        Assert.AreEqual((double)right / N, clean, 5e-5, "the clean baseline is the first 150 held-out digits (printed to 4 places)");
        Assert.IsGreaterThan(clean - 0.08, camera, $"an MLP through the camera pipeline (the CNN's gap is measured in docs/benchmarks.md): {output}");
        StringAssert.Contains(output, "frames/s through the pipeline");
    }

    [TestMethod]
    public void Classify_reads_image_files_rejects_a_corrupt_one_and_collects_for_finetune()
    {
        string photos = Path.Combine(s_dir, "photos"), collect = Path.Combine(s_dir, "mine"), debug = Path.Combine(s_dir, "debug");
        Directory.CreateDirectory(photos);
        var digits = Datasets.LoadDigits().Test;
        using var camera = new SyntheticCamera(digits, 2, FramePixelFormat.Gray8, seed: 11);
        var writer = new ImageWriter();
        var files = new List<string>();
        while (camera.TryRead(out var frame))
        {
            string f = Path.Combine(photos, $"shot{files.Count}.png");
            using (var s = File.Create(f))
            {
                writer.WritePng(frame.Data.ToArray(), frame.Width, frame.Height, StbImageWriteSharp.ColorComponents.Grey, s);
            }

            files.Add(f);
        }

        string broken = Path.Combine(photos, "broken.jpg");
        File.WriteAllBytes(broken, [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', 0x01]);
        var (code, output, err) = CliRunner.Run(["classify", files[0], broken, files[1], "--model", s_blob, "--collect", collect, "--label", "4", "--debug-dir", debug]);
        Assert.AreEqual(0, code, err + output);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        StringAssert.StartsWith(lines[0], files[0] + ": digit ");
        StringAssert.Contains(lines[0], "top 3: ");
        StringAssert.StartsWith(lines[1], broken + ": rejected: not a readable PNG/JPEG/BMP/PGM image (truncated: segment FF E0 at byte 2 needs 16 bytes");
        StringAssert.StartsWith(lines[2], files[1] + ": digit ");
        StringAssert.Contains(output, "collected 2 digits into " + Path.Combine(collect, "4"));
        Assert.IsTrue(File.Exists(Path.Combine(debug, "00001-1-luminance.png")) && File.Exists(Path.Combine(debug, "00001-3-digit28.png")));

        // What --collect wrote is what finetune reads: two 28x28 images labelled 4, with ink.
        var set = Input.LabelledFolder.Load(collect, 28, 28, Datasets.DigitClasses);
        Assert.AreEqual(2, set.Count);
        CollectionAssert.AreEqual(new[] { 4, 4 }, set.Labels);
        Assert.IsGreaterThan(20f, set.Images.AsSpan(0, 784).ToArray().Sum(), "a digit's worth of ink in the first collected image");
    }
}
