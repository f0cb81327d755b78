using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// edgenet run on one real digit written in every input format the command reads: each must give the
/// outputs of the model run on the digit's pixels directly. Formats are encoded here (PNG and BMP by
/// hand, JPEG by SkiaSharp), so the decoder is checked against independent files.
/// </summary>
[TestClass]
public sealed class ImageInputTests
{
    private static byte[] Digit()
    {
        var digits = Formats.Data.Datasets.LoadDigits().Test;
        return digits.Images.AsSpan(0, 784).ToArray().Select(v => (byte)Math.Round(v * 255)).ToArray();
    }

    private static float[] Outputs(string output) =>
        output.Split('\n').Single(l => l.StartsWith("outputs: ", StringComparison.Ordinal))[9..].Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    private static byte[] Png(byte[] gray, int w, int h)
    {
        static void Chunk(Stream s, string type, byte[] data)
        {
            Span<byte> len = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
            s.Write(len);
            byte[] td = [.. Encoding.ASCII.GetBytes(type), .. data];
            s.Write(td);
            BinaryPrimitives.WriteUInt32BigEndian(len, System.IO.Hashing.Crc32.HashToUInt32(td));
            s.Write(len);
        }

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8;   // 8-bit greyscale, no interlace
        var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < h; y++)
            {
                z.WriteByte(0);   // filter: none
                z.Write(gray, y * w, w);
            }
        }

        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static byte[] Bmp(byte[] gray, int w, int h)
    {
        int stride = ((w * 3) + 3) / 4 * 4;
        var b = new byte[54 + (stride * h)];
        b[0] = (byte)'B';
        b[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), b.Length);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), h);   // bottom-up rows
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(28), 24);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                byte v = gray[((h - 1 - y) * w) + x];
                int o = 54 + (y * stride) + (x * 3);
                b[o] = b[o + 1] = b[o + 2] = v;
            }
        }

        return b;
    }

    private static byte[] Idx(byte[] first, byte[] second)
    {
        var b = new byte[16 + 784 * 2];
        BinaryPrimitives.WriteInt32BigEndian(b, 0x0803);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), 2);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), 28);
        first.CopyTo(b, 16);
        second.CopyTo(b, 16 + 784);
        return b;
    }

    private static byte[] Jpeg(byte[] gray, int w, int h)
    {
        using var bmp = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(w, h, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(gray, 0, bmp.GetPixels(), gray.Length);
        using var data = bmp.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 100);
        return data.ToArray();
    }

    [TestMethod]
    public void Every_input_format_gives_the_outputs_of_the_pixels()
    {
        var dir = Directory.CreateTempSubdirectory("edgenet-images-");
        try
        {
            string blob = InspectCommandTests.WriteMlpBlob(dir.FullName);
            byte[] digit = Digit();
            float[] expected;
            using (var it = Interp.Load(blob, new InterpreterOptions { MaxBatch = 1 }))
            {
                var input = it.Input(1);
                for (int i = 0; i < 784; i++)
                {
                    input[i] = digit[i] / 255f;
                }

                it.Invoke(1);
                expected = it.Output(1).ToArray();
            }

            byte[] upscaled = new byte[56 * 56];   // each pixel as a 2×2 block: the area resize must give the digit back
            for (int y = 0; y < 56; y++)
            {
                for (int x = 0; x < 56; x++)
                {
                    upscaled[(y * 56) + x] = digit[((y / 2) * 28) + (x / 2)];
                }
            }

            byte[] inverted = digit.Select(v => (byte)(255 - v)).ToArray();
            var files = new (string Name, byte[] Bytes, string[] Extra)[]
            {
                ("digit.raw", digit, []),
                ("digit.pgm", [.. Encoding.ASCII.GetBytes("P5\n# a comment\n28 28\n255\n"), .. digit], []),
                ("digit.png", Png(digit, 28, 28), []),
                ("digit.bmp", Bmp(digit, 28, 28), []),
                ("two.idx", Idx(inverted, digit), ["--index", "1"]),
                ("big.png", Png(upscaled, 56, 56), []),
                ("inverted.png", Png(inverted, 28, 28), ["--invert"]),
            };
            foreach (var (name, bytes, extra) in files)
            {
                string path = Path.Combine(dir.FullName, name);
                File.WriteAllBytes(path, bytes);
                var (code, output, err) = CliRunner.Run(["run", blob, "--input", path, "--print-outputs", .. extra]);
                Assert.AreEqual(0, code, $"{name}: {err}");
                float[] got = Outputs(output);
                for (int i = 0; i < expected.Length; i++)
                {
                    Assert.AreEqual(expected[i], got[i], 1e-6f, $"{name}: output {i}");
                }
            }

            // JPEG is lossy: the same top class, outputs close.
            string jpeg = Path.Combine(dir.FullName, "digit.jpg");
            File.WriteAllBytes(jpeg, Jpeg(digit, 28, 28));
            var (jc, jout, jerr) = CliRunner.Run("run", blob, "--input", jpeg, "--print-outputs");
            Assert.AreEqual(0, jc, jerr);
            float[] j = Outputs(jout);
            Assert.AreEqual(Array.IndexOf(expected, expected.Max()), Array.IndexOf(j, j.Max()), "JPEG: the same top class");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void Missing_and_undecodable_files_are_refused_with_the_reason()
    {
        var dir = Directory.CreateTempSubdirectory("edgenet-images-");
        try
        {
            string blob = InspectCommandTests.WriteMlpBlob(dir.FullName);
            var (code, _, err) = CliRunner.Run("run", blob, "--input", Path.Combine(dir.FullName, "nothing.png"));
            Assert.AreEqual(2, code);
            StringAssert.Contains(err, "no such image file");

            string junk = Path.Combine(dir.FullName, "junk.png");
            File.WriteAllBytes(junk, Enumerable.Range(0, 100).Select(i => (byte)(i * 7)).ToArray());
            (code, _, err) = CliRunner.Run("run", blob, "--input", junk);
            Assert.AreEqual(2, code);
            StringAssert.Contains(err, "not a PNG/JPEG/BMP/PGM image, an IDX file or 784 raw bytes");

            string pgm = Path.Combine(dir.FullName, "short.pgm");
            File.WriteAllBytes(pgm, [.. Encoding.ASCII.GetBytes("P5 28 28 255\n"), .. new byte[100]]);
            (code, _, err) = CliRunner.Run("run", blob, "--input", pgm);
            Assert.AreEqual(2, code);
            StringAssert.Contains(err, "PGM 28x28 (max 255) needs 784 8-bit pixels");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
