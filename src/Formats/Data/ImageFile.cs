using StbImageSharp;

namespace EdgeNet.Formats.Data;

/// <summary>
/// Decodes one image file: PNG, JPEG, BMP (StbImageSharp, after <see cref="JpegCheck"/> for JPEGs, on which the
/// decoder may not return when they are truncated) or binary PGM (P5), as grey or RGB bytes [h, w, c].
/// </summary>
internal static class ImageFile
{
    /// <summary>The file extensions read as images (lower case).</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".pgm"];

    /// <summary>True when the name has an image extension.</summary>
    public static bool IsImage(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        foreach (string e in Extensions)
        {
            if (e == ext)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Pixels 0..255, [h, w, 3] when <paramref name="rgb"/> else [h, w, 1].</summary>
    /// <exception cref="InvalidDataException">The bytes are not a decodable image; the message names <paramref name="path"/>.</exception>
    public static (byte[] Pixels, int H, int W, int C) Decode(byte[] bytes, string path, bool rgb)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length > 2 && bytes[0] == 'P' && bytes[1] == '5')
        {
            var (grey, h, w) = ReadPgm(bytes, path);
            if (!rgb)
            {
                return (grey, h, w, 1);
            }

            var color = new byte[grey.Length * 3];
            for (int i = 0; i < grey.Length; i++)
            {
                color[3 * i] = color[(3 * i) + 1] = color[(3 * i) + 2] = grey[i];
            }

            return (color, h, w, 3);
        }

        if (JpegCheck.LooksLikeJpeg(bytes) && JpegCheck.Problem(bytes) is { } problem)
        {
            throw new InvalidDataException($"{path}: the JPEG cannot be decoded ({problem})");
        }

        try
        {
            var decoded = ImageResult.FromMemory(bytes, rgb ? ColorComponents.RedGreenBlue : ColorComponents.Grey);
            return (decoded.Data, decoded.Height, decoded.Width, rgb ? 3 : 1);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{path}: not a PNG/JPEG/BMP/PGM image ({e.Message})", e);
        }
    }

    /// <summary>A binary PGM (P5) with 8-bit pixels: (pixels, height, width).</summary>
    public static (byte[] Pixels, int H, int W) ReadPgm(byte[] b, string path)
    {
        int pos = 2;
        int Next()
        {
            while (pos < b.Length && (char.IsWhiteSpace((char)b[pos]) || b[pos] == '#'))
            {
                if (b[pos] == '#')
                {
                    while (pos < b.Length && b[pos] != '\n')
                    {
                        pos++;
                    }
                }

                pos++;
            }

            int v = 0, start = pos;
            while (pos < b.Length && b[pos] is >= (byte)'0' and <= (byte)'9')
            {
                v = (v * 10) + (b[pos++] - '0');
            }

            return pos > start ? v : throw new InvalidDataException($"{path}: malformed PGM header");
        }

        int w = Next(), h = Next(), max = Next();
        pos++;
        if (max is < 1 or > 255 || b.Length - pos < w * h)
        {
            throw new InvalidDataException($"{path}: PGM {w}x{h} (max {max}) needs {w * h} 8-bit pixels after the header");
        }

        return (b.AsSpan(pos, w * h).ToArray(), h, w);
    }
}
