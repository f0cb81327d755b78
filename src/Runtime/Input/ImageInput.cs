using StbImageSharp;

namespace EdgeNet.Runtime.Input;

/// <summary>
/// Reads one grayscale sample for an image model: PNG/JPEG/BMP (StbImageSharp), binary PGM (P5),
/// raw bytes (H·W), or an IDX images file (first image, or --index). Returns pixels 0..255.
/// </summary>
internal static class ImageInput
{
    public static float[] Read(string path, int height, int width, int index, bool invert)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such image file", path);
        }

        byte[] bytes = File.ReadAllBytes(path);
        (byte[] Pixels, int H, int W) img;
        bool gzip = bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
        if (gzip || (bytes.Length >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 8))
        {
            var (dims, data) = Formats.Data.Idx.ReadBytes(path);
            if (dims.Length != 3 || index >= dims[0])
            {
                throw new InvalidDataException($"{path}: IDX file {string.Join("x", dims)} has no image {index}");
            }

            img = (data.AsSpan(index * dims[1] * dims[2], dims[1] * dims[2]).ToArray(), dims[1], dims[2]);
        }
        else if (bytes.Length > 2 && bytes[0] == 'P' && bytes[1] == '5')
        {
            img = Formats.Data.ImageFile.ReadPgm(bytes, path);
        }
        else if (bytes.Length == height * width)
        {
            img = (bytes, height, width);
        }
        else
        {
            if (Formats.Data.JpegCheck.LooksLikeJpeg(bytes) && Formats.Data.JpegCheck.Problem(bytes) is { } problem)
            {
                throw new InvalidDataException($"{path}: the JPEG cannot be decoded ({problem})"); // StbImageSharp would not return on some of these
            }

            try
            {
                var decoded = ImageResult.FromMemory(bytes, ColorComponents.Grey);
                img = (decoded.Data, decoded.Height, decoded.Width);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
            {
                throw new InvalidDataException($"{path}: not a PNG/JPEG/BMP/PGM image, an IDX file or {height * width} raw bytes ({e.Message})", e);
            }
        }

        if (img.H != height || img.W != width)
        {
            img = (Resize(img.Pixels, img.H, img.W, height, width), height, width);
        }

        return Array.ConvertAll(img.Pixels, p => (float)(invert ? 255 - p : p));
    }

    /// <summary>Area-averaging resize to the model's input size.</summary>
    private static byte[] Resize(byte[] src, int h, int w, int th, int tw)
    {
        var dst = new byte[th * tw];
        for (int y = 0; y < th; y++)
        {
            for (int x = 0; x < tw; x++)
            {
                int y0 = y * h / th, y1 = Math.Max(y0 + 1, (y + 1) * h / th);
                int x0 = x * w / tw, x1 = Math.Max(x0 + 1, (x + 1) * w / tw);
                int sum = 0, n = 0;
                for (int yy = y0; yy < y1; yy++)
                {
                    for (int xx = x0; xx < x1; xx++)
                    {
                        sum += src[(yy * w) + xx];
                        n++;
                    }
                }

                dst[(y * tw) + x] = (byte)(sum / n);
            }
        }

        return dst;
    }
}
