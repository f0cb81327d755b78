namespace EdgeNet.Tests.Shared;

/// <summary>Image files written by hand for tests: 24-bit BMP (RGB) and binary PGM (grey), formats the decoders read.</summary>
internal static class TestImages
{
    /// <summary>Writes an RGB image [h, w, 3] as an uncompressed 24-bit BMP (rows bottom-up, BGR, padded to 4 bytes).</summary>
    public static void WriteBmp(string path, byte[] rgb, int h, int w)
    {
        int row = ((w * 3) + 3) / 4 * 4, size = 54 + (row * h);
        var b = new byte[size];
        b[0] = (byte)'B';
        b[1] = (byte)'M';
        BitConverter.GetBytes(size).CopyTo(b, 2);
        BitConverter.GetBytes(54).CopyTo(b, 10);
        BitConverter.GetBytes(40).CopyTo(b, 14);
        BitConverter.GetBytes(w).CopyTo(b, 18);
        BitConverter.GetBytes(h).CopyTo(b, 22);
        BitConverter.GetBytes((short)1).CopyTo(b, 26);
        BitConverter.GetBytes((short)24).CopyTo(b, 28);
        BitConverter.GetBytes(row * h).CopyTo(b, 34);
        for (int y = 0; y < h; y++)
        {
            int dst = 54 + ((h - 1 - y) * row);
            for (int x = 0; x < w; x++)
            {
                int s = ((y * w) + x) * 3;
                b[dst + (3 * x)] = rgb[s + 2];
                b[dst + (3 * x) + 1] = rgb[s + 1];
                b[dst + (3 * x) + 2] = rgb[s];
            }
        }

        File.WriteAllBytes(path, b);
    }

    /// <summary>Writes a grey image [h, w] as a binary PGM (P5).</summary>
    public static void WritePgm(string path, byte[] grey, int h, int w)
    {
        var header = System.Text.Encoding.ASCII.GetBytes($"P5\n{w} {h}\n255\n");
        File.WriteAllBytes(path, [.. header, .. grey]);
    }

    /// <summary>
    /// A folder of <paramref name="perClass"/> RGB images per class, each class a distinct colour with noise (so a small
    /// network can tell them apart): CLASS/img_N.bmp, the last class's images one folder deeper (nested).
    /// </summary>
    public static string ColourFolder(string root, string[] classes, int perClass, int h, int w, int seed)
    {
        var rng = new Random(seed);
        for (int c = 0; c < classes.Length; c++)
        {
            string dir = Path.Combine(root, classes[c]);
            if (c == classes.Length - 1)
            {
                dir = Path.Combine(dir, "nested");
            }

            Directory.CreateDirectory(dir);
            for (int i = 0; i < perClass; i++)
            {
                var px = new byte[h * w * 3];
                for (int p = 0; p < h * w; p++)
                {
                    for (int k = 0; k < 3; k++)
                    {
                        int baseValue = k == c % 3 ? 200 : 40;
                        px[(3 * p) + k] = (byte)Math.Clamp(baseValue + rng.Next(-30, 31), 0, 255);
                    }
                }

                WriteBmp(Path.Combine(dir, $"img_{i:D2}.bmp"), px, h, w);
            }
        }

        return root;
    }
}
