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

    /// <summary>The display a camera gets, on synthetic frames: the stable digit, the reading, the rate, the stages.</summary>
    [TestMethod]
    public void Live_display_shows_the_stable_digit_frames_per_second_and_stage_latency()
    {
        var (code, output, err) = CliRunner.Run("camera", "--synthetic", "12", "--live", "--stable", "2/2", "--model", s_blob);
        Assert.AreEqual(0, code, err + output);
        var lines = output.Split('\n').Where(l => l.StartsWith("frame ", StringComparison.Ordinal)).ToArray();
        Assert.HasCount(12, lines, output);
        var line = new Regex(@"^frame (\d+) \(label (\d)\): \[([0-9 ])\] (?:digit (\d) \(p ([0-9.]+)\).*|rejected: .*); (-|[0-9.]+) fps; decode/preprocess/inference [0-9.]+/[0-9.]+/[0-9.]+ ms$");
        string? previous = null;
        for (int f = 0; f < lines.Length; f++)
        {
            var m = line.Match(lines[f].TrimEnd('\r'));
            Assert.IsTrue(m.Success, lines[f]);
            Assert.AreEqual(f == 0 ? "-" : m.Groups[6].Value, m.Groups[6].Value, "no rate before a second frame");
            if (f > 0)
            {
                Assert.IsGreaterThan(0.0, double.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture), lines[f]);
            }

            // 2 of the last 2: a digit is shown only when this frame and the one before read it.
            string? read = m.Groups[4].Success ? m.Groups[4].Value : null;
            string expected = read is not null && read == previous ? read : " ";
            Assert.AreEqual(expected, m.Groups[3].Value, lines[f]);
            previous = read;
        }

        StringAssert.Contains(output, "12 frames, rejected:");
    }

    [TestMethod]
    public void Frame_rate_counts_the_last_seconds_arrivals_by_hand()
    {
        long hz = System.Diagnostics.Stopwatch.Frequency;
        var rate = new FrameRate();
        rate.Arrived(0);
        Assert.IsTrue(double.IsNaN(rate.PerSecond), "one frame: no rate");
        rate.Arrived(hz / 10);
        rate.Arrived(hz * 3 / 10);
        Assert.AreEqual(2 / 0.3, rate.PerSecond, 1e-9, "2 intervals in 0.3 s");
        for (int i = 0; i < 100; i++)
        {
            rate.Arrived(hz + (i * hz / 25)); // 25 frames a second for 4 s
        }

        Assert.AreEqual(25.0, rate.PerSecond, 1e-6, "the last second: 25 intervals of 40 ms");
        rate.Arrived((hz * 10) + 1);
        Assert.IsTrue(double.IsNaN(rate.PerSecond), "after a 5 s gap nothing else is within the second");
        var fast = new FrameRate();
        for (int i = 0; i < 200; i++)
        {
            fast.Arrived(i * hz / 1000); // 1000 frames a second: only 64 arrivals are kept
        }

        Assert.AreEqual(1000.0, fast.PerSecond, 1.0, "63 intervals over 63 ms");
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
        var set = ImageFolder.Load(collect, ImagePipeline.Digits(), Datasets.DigitClasses);
        Assert.AreEqual(2, set.Count);
        CollectionAssert.AreEqual(new[] { 4, 4 }, set.Labels);
        Assert.IsGreaterThan(20f, set.Images.AsSpan(0, 784).ToArray().Sum(), "a digit's worth of ink in the first collected image");
    }
}
