using System.Globalization;
using System.Text.RegularExpressions;
using EdgeNet.Formats.Data;
using EdgeNet.Runtime.Input;
using EdgeNet.Runtime.Input.Camera;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Models;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// Camera frames for an image model (MobileNetV2): YUYV to RGB held to BT.601's published colour bars, and
/// <c>edgenet camera --replay</c> on YUYV frames giving what <c>classify</c> gives on the same pictures as files.
/// </summary>
[TestClass]
[DoNotParallelize] // seeds the process-wide Keras RNG
public sealed partial class CameraImageModelTests
{
    [TestMethod]
    public void Yuyv_colour_bars_convert_to_their_rgb()
    {
        // 75%-free (100%) colour bars in BT.601 limited-range Y'CbCr, as published: black, white, red, green, blue.
        (byte Y, byte Cb, byte Cr, int R, int G, int B)[] bars =
        [
            (16, 128, 128, 0, 0, 0), (235, 128, 128, 255, 255, 255), (81, 90, 240, 255, 0, 0), (145, 54, 34, 0, 255, 0), (41, 240, 110, 0, 0, 255),
        ];
        foreach (var bar in bars)
        {
            var rgb = new float[6];
            FrameImage.YuyvToRgb([bar.Y, bar.Cb, bar.Y, bar.Cr], 2, 1, rgb);
            for (int px = 0; px < 2; px++)
            {
                Assert.AreEqual(bar.R, rgb[3 * px], 2, $"R of {bar}");
                Assert.AreEqual(bar.G, rgb[(3 * px) + 1], 2, $"G of {bar}");
                Assert.AreEqual(bar.B, rgb[(3 * px) + 2], 2, $"B of {bar}");
            }
        }

        var ex = Assert.ThrowsExactly<InvalidDataException>(() => new FrameImage().Load(new Frame(4, 2, FramePixelFormat.Yuyv, new byte[15], Name: "cam0")));
        StringAssert.Contains(ex.Message, "cam0: 15 bytes for a 4x2 Yuyv frame; it needs 16");
    }

    [TestMethod]
    public void Replayed_yuyv_frames_read_as_the_same_pictures_read_from_files()
    {
        KerasBackend.SetRandomSeed(9);
        var dir = Directory.CreateTempSubdirectory("edgenet-camera-rgb-");
        try
        {
            string[] classes = ["daisy", "roses", "tulips"];
            string blob = SmallMobileNet.Export(dir.FullName, 8, recalibrationBatches: 2, batchSize: 12, "mnv2.enb").Blob;

            // Frames as a camera sends them: random YUYV (the luma per pixel, the chroma per pair, tinted by class). The same
            // picture as a BMP for classify holds the frame's RGB (the conversion is held to BT.601 by the test above): an
            // untrained network this small answers differently to a change of one grey level, so the pictures must agree exactly.
            string frames = Path.Combine(dir.FullName, "frames");
            var expected = new Dictionary<string, (string Class, float P)>();
            using var files = new ImageClassifier(blob);
            var rng = new Random(5);
            for (int c = 0; c < classes.Length; c++)
            {
                for (int i = 0; i < 2; i++)
                {
                    var yuyv = new byte[30 * 40 * 2];
                    for (int q = 0; q < yuyv.Length; q += 4)
                    {
                        yuyv[q] = (byte)rng.Next(40, 200);
                        yuyv[q + 1] = (byte)(c == 2 ? rng.Next(150, 200) : rng.Next(100, 140));
                        yuyv[q + 2] = (byte)rng.Next(40, 200);
                        yuyv[q + 3] = (byte)(c == 0 ? rng.Next(150, 200) : rng.Next(100, 140));
                    }

                    var rgbf = new float[30 * 40 * 3];
                    FrameImage.YuyvToRgb(yuyv, 40, 30, rgbf);
                    string name = $"{c}{i}";
                    string bmp = Path.Combine(dir.FullName, name + ".bmp");
                    EdgeNet.Tests.Shared.TestImages.WriteBmp(bmp, Array.ConvertAll(rgbf, v => (byte)v), 30, 40);
                    var top = files.ClassifyFile(bmp, k: 1)[0];
                    Directory.CreateDirectory(Path.Combine(frames, classes[c]));
                    string raw = Path.Combine(frames, classes[c], name + ".yuyv");
                    File.WriteAllBytes(raw, yuyv);
                    expected[raw] = (top.Name, top.Probability);
                }
            }

            var (code, output, err) = CliRunner.Run("camera", "--replay", frames, "--size", "40x30", "--model", blob);
            Assert.AreEqual(0, code, err + output);
            StringAssert.Contains(output, "6 frames replayed from");
            foreach (var (raw, (cls, p)) in expected)
            {
                var line = Regex.Match(output, Regex.Escape(raw) + @": (\w+) ([0-9.]+)");
                Assert.IsTrue(line.Success, $"a line for {raw} in:\n{output}");
                Assert.AreEqual(cls, line.Groups[1].Value, $"{raw}: the class classify gives the picture");
                Assert.AreEqual(p, double.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture), 0.0006, $"{raw}: its probability");
            }

            StringAssert.Matches(output, new Regex(@"6 frames; median frame→RGB [0-9.]+ ms, pipeline \+ model [0-9.]+ ms; accuracy [0-9.]+ \([0-9]/6 frames in folders named by class\)"));

            (code, output, err) = CliRunner.Run("camera", "--replay", frames, "--size", "40x31", "--model", blob);
            Assert.AreNotEqual(0, code);
            StringAssert.Contains(err + output, "not a 40x31 YUYV frame");
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
