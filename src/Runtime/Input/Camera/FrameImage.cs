using EdgeNet.Formats.Data;
using StbImageSharp;

namespace EdgeNet.Runtime.Input.Camera;

/// <summary>
/// A camera frame as an image an image model's pipeline takes: YUYV converted to RGB with BT.601's limited-range
/// coefficients (what V4L2 webcams send; OpenCV's COLOR_YUV2RGB_YUYV converts the same way), grey as one channel,
/// MJPEG decoded to RGB. Raw frames go into a buffer planned for the frame size (nothing allocated per frame after the
/// first of a size); a JPEG is decoded by StbImageSharp, which allocates.
/// </summary>
public sealed class FrameImage
{
    private float[] _pixels = [];

    /// <summary>The last frame's height.</summary>
    public int Height { get; private set; }

    /// <summary>The last frame's width.</summary>
    public int Width { get; private set; }

    /// <summary>The last frame's channels: 3 (YUYV, MJPEG) or 1 (grey).</summary>
    public int Channels { get; private set; }

    /// <summary>The last frame's pixels [height, width, channels], values 0..255.</summary>
    public ReadOnlySpan<float> Pixels => _pixels.AsSpan(0, Height * Width * Channels);

    /// <summary>Converts <paramref name="frame"/>; the result is <see cref="Pixels"/>.</summary>
    /// <exception cref="InvalidDataException">The frame's bytes do not fit its size, or the JPEG is corrupt (the message says which).</exception>
    public void Load(in Frame frame)
    {
        string name = frame.Name ?? "frame";
        if (frame.Format == FramePixelFormat.Mjpeg)
        {
            byte[] jpeg = frame.Data.ToArray();
            if (JpegCheck.Problem(jpeg) is { } problem)
            {
                throw new InvalidDataException($"{name}: {problem}");
            }

            ImageResult img;
            try
            {
                img = ImageResult.FromMemory(jpeg, ColorComponents.RedGreenBlue);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException)
            {
                throw new InvalidDataException($"{name}: not a decodable JPEG ({e.Message})", e);
            }

            Plan(img.Height, img.Width, 3);
            for (int i = 0; i < img.Width * img.Height * 3; i++)
            {
                _pixels[i] = img.Data[i];
            }

            return;
        }

        if (frame.Width <= 0 || frame.Height <= 0 || frame.Data.Length != frame.ExpectedBytes)
        {
            throw new InvalidDataException($"{name}: {frame.Data.Length} bytes for a {frame.Width}x{frame.Height} {frame.Format} frame; it needs {frame.ExpectedBytes}");
        }

        if (frame.Format == FramePixelFormat.Gray8)
        {
            Plan(frame.Height, frame.Width, 1);
            var g = frame.Data.Span;
            for (int i = 0; i < g.Length; i++)
            {
                _pixels[i] = g[i];
            }

            return;
        }

        Plan(frame.Height, frame.Width, 3);
        YuyvToRgb(frame.Data.Span, frame.Width, frame.Height, _pixels);
    }

    /// <summary>
    /// YUYV (Y0 U Y1 V per two pixels) to RGB [height, width, 3], 0..255 rounded: R = 1.164(Y−16) + 1.596(V−128),
    /// G = 1.164(Y−16) − 0.813(V−128) − 0.391(U−128), B = 1.164(Y−16) + 2.018(U−128), clamped (ITU-R BT.601, limited range).
    /// </summary>
    public static void YuyvToRgb(ReadOnlySpan<byte> yuyv, int width, int height, Span<float> rgb)
    {
        if (width % 2 != 0 || yuyv.Length < width * height * 2 || rgb.Length < width * height * 3)
        {
            throw new ArgumentException($"YUYV {width}x{height} needs an even width, {width * height * 2} bytes in and {width * height * 3} values out");
        }

        for (int p = 0; p < width * height; p += 2)
        {
            int u = yuyv[(2 * p) + 1] - 128, v = yuyv[(2 * p) + 3] - 128;
            float r = 1.596f * v, g = (-0.813f * v) - (0.391f * u), b = 2.018f * u;
            for (int k = 0; k < 2; k++)
            {
                float y = 1.164f * (yuyv[(2 * p) + (2 * k)] - 16);
                int o = 3 * (p + k);
                rgb[o] = MathF.Round(Math.Clamp(y + r, 0f, 255f));
                rgb[o + 1] = MathF.Round(Math.Clamp(y + g, 0f, 255f));
                rgb[o + 2] = MathF.Round(Math.Clamp(y + b, 0f, 255f));
            }
        }
    }

    private void Plan(int h, int w, int c)
    {
        if (_pixels.Length < h * w * c)
        {
            _pixels = new float[h * w * c];
        }

        (Height, Width, Channels) = (h, w, c);
    }
}
