using EdgeNet.Formats.Data;
using StbImageWriteSharp;
using WriteComponents = StbImageWriteSharp.ColorComponents;

namespace EdgeNet.Runtime.Input.Camera;

/// <summary>How the synthetic camera draws (the defaults are the issue's: scale 3–8×, rotation up to ±10°, blur, noise, uneven light).</summary>
public sealed record SyntheticCameraOptions
{
    /// <summary>Smallest scale of a 28×28 digit on the page (3: 84 pixels high).</summary>
    public double MinScale { get; init; } = 3;

    /// <summary>Largest scale of a digit on the page (8: 224 pixels high).</summary>
    public double MaxScale { get; init; } = 8;

    /// <summary>Largest rotation either way [degrees].</summary>
    public double MaxRotation { get; init; } = 10;

    /// <summary>Largest brightness gradient across the page and vignette depth [grey levels].</summary>
    public double Unevenness { get; init; } = 35;

    /// <summary>Largest sensor noise standard deviation [grey levels].</summary>
    public double MaxNoise { get; init; } = 6;

    /// <summary>Most passes of the 3×3 binomial blur (1 or 2 drawn per frame; 0: none).</summary>
    public int MaxBlurPasses { get; init; } = 2;

    /// <summary>Another writer's hand: strokes thickened (+1: a 3×3 grey dilation of the 28×28 digit) or thinned (−1: an erosion), 0: as written.</summary>
    public int Stroke { get; init; }

    /// <summary>Another writer's hand: a slant, x += slant·(14 − y) on the 28×28 digit (0.3: about 17° to the right).</summary>
    public double Slant { get; init; }

    /// <summary>The first dataset digit drawn (frames take the digits from here on, wrapping).</summary>
    public int FirstDigit { get; init; }

    /// <summary>Parses <c>thick|thin,slant=S</c> (the <c>--hand</c> grammar) over these options.</summary>
    public SyntheticCameraOptions WithHand(string? hand)
    {
        var o = this;
        foreach (string part in (hand ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part is "thick" or "thin")
            {
                o = o with { Stroke = part == "thick" ? 1 : -1 };
            }
            else if (part.StartsWith("slant=", StringComparison.Ordinal) && double.TryParse(part[6..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double sl) && Math.Abs(sl) <= 1)
            {
                o = o with { Slant = sl };
            }
            else
            {
                throw new ArgumentException($"--hand '{part}': give thick or thin and/or slant=S with |S| <= 1, e.g. thick,slant=0.3");
            }
        }

        return o;
    }
}

/// <summary>
/// A camera pointed at handwritten digits on paper, made from real MNIST digits: each frame draws one digit
/// dark on a light, unevenly lit page (a brightness gradient and a vignette), shifted, scaled 3–8×, rotated
/// up to ±10°, blurred and noisy, and encodes it as YUYV or JPEG as a webcam delivers it. The frame's label
/// is the digit's. Frame <c>i</c> is drawn from a generator seeded with (seed, i), so runs repeat.
/// </summary>
public sealed class SyntheticCamera : IFrameSource
{
    private readonly ImageDataset _digits;
    private readonly int _count;
    private readonly int _seed;
    private readonly byte[] _page;       // [height, width] grey page
    private readonly float[] _light;     // [height, width] scratch for the blur
    private readonly byte[] _encoded;    // YUYV frame, or the JPEG's bytes
    private readonly MemoryStream _jpeg;
    private readonly ImageWriter _writer = new();
    private readonly SyntheticCameraOptions _o;
    private readonly float[] _written = new float[784];   // [28, 28] the digit in this camera's hand
    private readonly float[] _scratch = new float[784];
    private int _next;

    /// <summary>A camera that shows <paramref name="count"/> of <paramref name="digits"/> (28×28, values 0..1), each drawn dark on a light, unevenly lit <paramref name="width"/> × <paramref name="height"/> page and encoded as <paramref name="format"/>; <paramref name="seed"/> makes the sequence repeatable.</summary>
    public SyntheticCamera(ImageDataset digits, int count, FramePixelFormat format, int seed = 1, int width = 640, int height = 480, SyntheticCameraOptions? options = null)
    {
        _o = options ?? new SyntheticCameraOptions();
        ArgumentNullException.ThrowIfNull(digits);
        if (digits.Height != 28 || digits.Width != 28 || digits.Channels != 1)
        {
            throw new ArgumentException($"{digits.Name}: the synthetic camera draws 28x28 grey digits; this set is {digits.Height}x{digits.Width}x{digits.Channels}", nameof(digits));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        (_digits, _count, _seed, Format, Width, Height) = (digits, count, seed, format, width, height);
        _page = new byte[width * height];
        _light = new float[width * height];
        _encoded = new byte[width * height * 2];
        _jpeg = new MemoryStream(width * height);
    }

    /// <summary>The encoding of the frames: YUYV or JPEG.</summary>
    public FramePixelFormat Format { get; }

    /// <summary>How the digits are drawn.</summary>
    public SyntheticCameraOptions Options => _o;

    /// <summary>Frame <paramref name="i"/>'s digit at 28×28 in this camera's hand, without the page (the model's clean baseline).</summary>
    public ReadOnlySpan<float> Handwritten(int i)
    {
        Write(_digits.Image(Index(i)));
        return _written;
    }

    /// <summary>Frame width [pixels].</summary>
    public int Width { get; }

    /// <summary>Frame height [pixels].</summary>
    public int Height { get; }

    /// <summary>The 28×28 digit of the last frame as drawn (values 0..1; the hand applied).</summary>
    public ReadOnlySpan<float> LastDigit => _written;

    /// <summary>The dataset index frame <paramref name="i"/> draws (the digits in order from <see cref="SyntheticCameraOptions.FirstDigit"/>, wrapping).</summary>
    public int Index(int i) => (_o.FirstDigit + i) % _digits.Count;

    /// <summary>The seed, the frame size and format, and the drawing options.</summary>
    public string Description => $"synthetic camera: {_count} frames {Width}x{Height} {Format} of {_digits.Name} (seed {_seed})";

    /// <summary>Draws and encodes the next frame; its <see cref="Frame.Label"/> is the digit drawn. False after the last one.</summary>
    public bool TryRead(out Frame frame)
    {
        if (_next >= _count)
        {
            frame = default;
            return false;
        }

        int i = _next++, index = Index(i);
        Write(_digits.Image(index));
        Draw(_written, new Random(unchecked((_seed * 1_000_003) + i))); // deterministic (HashCode.Combine is randomised per process)
        ReadOnlyMemory<byte> data;
        switch (Format)
        {
            case FramePixelFormat.Gray8:
                data = _page;
                break;
            case FramePixelFormat.Yuyv:
                for (int p = 0; p < _page.Length; p++)
                {
                    _encoded[2 * p] = _page[p];
                    _encoded[(2 * p) + 1] = 128; // U and V alternate; grey paper has no colour
                }

                data = _encoded;
                break;
            default:
                _jpeg.SetLength(0);
                _writer.WriteJpg(_page, Width, Height, WriteComponents.Grey, _jpeg, 85);
                data = _jpeg.GetBuffer().AsMemory(0, (int)_jpeg.Length);
                break;
        }

        frame = new Frame(Width, Height, Format, data, _digits.Labels[index], $"frame {i}");
        return true;
    }

    private void Draw(ReadOnlySpan<float> digit, Random rng)
    {
        int w = Width, h = Height;
        double U(double lo, double hi) => lo + ((hi - lo) * rng.NextDouble());

        // Paper: a base brightness, a linear gradient and a vignette (uneven light).
        double paper = U(185, 235), gx = U(-_o.Unevenness, _o.Unevenness), gy = U(-_o.Unevenness, _o.Unevenness), vignette = U(0, _o.Unevenness);
        double scale = U(_o.MinScale, _o.MaxScale), angle = U(-_o.MaxRotation, _o.MaxRotation) * Math.PI / 180, inkDepth = U(0.6, 0.85);
        double reach = 14 * scale * 1.45; // the rotated 28x28 field's half-diagonal, to keep the digit inside
        double cx = U(reach, w - reach), cy = U(reach, h - reach);
        double cos = Math.Cos(angle), sin = Math.Sin(angle);
        double diag2 = ((w * w) + (h * h)) / 4.0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double dx = x - (w / 2.0), dy = y - (h / 2.0);
                double light = paper + (gx * dx / w) + (gy * dy / h) - (vignette * ((dx * dx) + (dy * dy)) / diag2);
                _light[(y * w) + x] = (float)light;
            }
        }

        // The digit: each page pixel near it maps back into the 28x28 field (rotation and scale about its centre).
        int x0 = Math.Max(0, (int)(cx - reach)), x1 = Math.Min(w - 1, (int)(cx + reach));
        int y0 = Math.Max(0, (int)(cy - reach)), y1 = Math.Min(h - 1, (int)(cy + reach));
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                double u = (((cos * dx) + (sin * dy)) / scale) + 14 - 0.5, v = (((-sin * dx) + (cos * dy)) / scale) + 14 - 0.5;
                double ink = Bilinear(digit, u, v);
                if (ink > 0)
                {
                    _light[(y * w) + x] *= (float)(1 - (inkDepth * ink));
                }
            }
        }

        // Lens blur (a 3x3 binomial kernel, once or twice) and sensor noise.
        int passes = _o.MaxBlurPasses == 0 ? 0 : rng.Next(1, _o.MaxBlurPasses + 1);
        double noise = U(Math.Min(2, _o.MaxNoise), _o.MaxNoise);
        for (int pass = 0; pass < passes; pass++)
        {
            Blur3(_light, w, h);
        }

        for (int p = 0; p < _page.Length; p++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double n = noise * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            _page[p] = (byte)Math.Clamp(Math.Round(_light[p] + n), 0, 255);
        }
    }

    // The digit in this camera's hand: slanted (a shear about the middle row), then thickened or thinned.
    private void Write(ReadOnlySpan<float> digit)
    {
        if (_o.Slant == 0)
        {
            digit.CopyTo(_scratch);
        }
        else
        {
            for (int y = 0; y < 28; y++)
            {
                for (int x = 0; x < 28; x++)
                {
                    _scratch[(y * 28) + x] = (float)Bilinear(digit, x - (_o.Slant * (14 - y)), y);
                }
            }
        }

        if (_o.Stroke == 0)
        {
            _scratch.CopyTo(_written, 0);
            return;
        }

        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                float v = _o.Stroke > 0 ? 0 : 1;
                for (int dy = -1; dy <= 1; dy++)
                {
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        float n = (float)At(_scratch, x + dx, y + dy);
                        v = _o.Stroke > 0 ? Math.Max(v, n) : Math.Min(v, n);
                    }
                }

                _written[(y * 28) + x] = v;
            }
        }
    }

    private static double Bilinear(ReadOnlySpan<float> img, double u, double v)
    {
        if (u < -1 || v < -1 || u > 28 || v > 28)
        {
            return 0;
        }

        int iu = (int)Math.Floor(u), iv = (int)Math.Floor(v);
        double fu = u - iu, fv = v - iv;
        return ((1 - fv) * (((1 - fu) * At(img, iu, iv)) + (fu * At(img, iu + 1, iv)))) + (fv * (((1 - fu) * At(img, iu, iv + 1)) + (fu * At(img, iu + 1, iv + 1))));
    }

    private static double At(ReadOnlySpan<float> img, int x, int y) => (uint)x < 28 && (uint)y < 28 ? img[(y * 28) + x] : 0;

    // In place, separable [1 2 1]/4 in x then y, edges clamped.
    private static void Blur3(float[] a, int w, int h)
    {
        for (int y = 0; y < h; y++)
        {
            int r = y * w;
            float prev = a[r];
            for (int x = 0; x < w; x++)
            {
                float cur = a[r + x], next = a[r + Math.Min(w - 1, x + 1)];
                a[r + x] = (prev + (2 * cur) + next) / 4;
                prev = cur;
            }
        }

        for (int x = 0; x < w; x++)
        {
            float prev = a[x];
            for (int y = 0; y < h; y++)
            {
                float cur = a[(y * w) + x], next = a[(Math.Min(h - 1, y + 1) * w) + x];
                a[(y * w) + x] = (prev + (2 * cur) + next) / 4;
                prev = cur;
            }
        }
    }

    /// <summary>Releases the JPEG stream.</summary>
    public void Dispose() => _jpeg.Dispose();
}
