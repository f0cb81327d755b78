using System.Globalization;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Data;

/// <summary>How a model's input channels come from an image (blob metadata <c>input.color</c>).</summary>
public enum ColorMode
{
    /// <summary>One grey channel (an RGB image becomes its luma, 0.299 R + 0.587 G + 0.114 B).</summary>
    Grey,

    /// <summary>Three channels R, G, B (a grey image is repeated).</summary>
    Rgb,

    /// <summary>Three channels that each hold the grey level: the model was trained on grey images repeated to RGB (Fashion-MNIST for MobileNetV2); a colour photo becomes its luma, repeated.</summary>
    GreyAsRgb,
}

/// <summary>How an image is brought to the model's height and width (blob metadata <c>input.resize</c>).</summary>
public enum ResizeMode
{
    /// <summary>The mean of each output pixel's box of source pixels, rounded down (the digit models' resize).</summary>
    Area,

    /// <summary>The largest centred crop with the model's aspect ratio, then bilinear interpolation with half-pixel centres and no antialiasing (PyTorch's <c>interpolate(mode='bilinear', align_corners=False)</c>, TensorFlow's <c>resize(method='bilinear')</c>).</summary>
    Bilinear,
}

/// <summary>
/// The one path from an image to a model's input, shared by training (the host), export (calibration and
/// accuracy), and the board (<c>edgenet run/eval/classify/finetune</c>), so all of them feed a model what it
/// was trained on: the centred crop and resize to [<see cref="Height"/>, <see cref="Width"/>], the channel
/// conversion, then <c>pixel·Scale + Offset</c> on 0..255 pixels — or per channel (<see cref="ChannelScales"/>,
/// <see cref="ChannelOffsets"/>: torchvision's mean and std per colour). Its fields are stored in the blob's metadata
/// (<c>general.input_shape</c>, <c>input.color</c>, <c>input.resize</c>, <c>input.normalization</c>).
/// </summary>
public sealed record ImagePipeline(int Height, int Width, int Channels, ColorMode Color, ResizeMode Resize, float Scale, float Offset)
{
    private readonly float[]? _scales, _offsets;

    /// <summary>A pipeline normalizing each of the model's channels on its own: <c>pixel·scales[c] + offsets[c]</c>.</summary>
    public ImagePipeline(int height, int width, int channels, ColorMode color, ResizeMode resize, float[] scales, float[] offsets)
        : this(height, width, channels, color, resize, scales is { Length: > 0 } ? scales[0] : 0, offsets is { Length: > 0 } ? offsets[0] : 0)
    {
        ArgumentNullException.ThrowIfNull(scales);
        ArgumentNullException.ThrowIfNull(offsets);
        if (scales.Length != channels || offsets.Length != channels)
        {
            throw new ArgumentException($"per-channel normalization needs {channels} scales and {channels} offsets, got {scales.Length} and {offsets.Length}");
        }

        (_scales, _offsets) = ((float[])scales.Clone(), (float[])offsets.Clone());
    }

    /// <summary>True when the channels are normalized each with its own scale and offset.</summary>
    public bool PerChannel => _scales is not null;

    /// <summary>Each model channel's scale (all <see cref="Scale"/> unless <see cref="PerChannel"/>).</summary>
    public float[] ChannelScales => _scales is { } s ? (float[])s.Clone() : Filled(Scale);

    /// <summary>Each model channel's offset (all <see cref="Offset"/> unless <see cref="PerChannel"/>).</summary>
    public float[] ChannelOffsets => _offsets is { } o ? (float[])o.Clone() : Filled(Offset);

    private float[] Filled(float v)
    {
        var a = new float[Channels];
        Array.Fill(a, v);
        return a;
    }

    /// <summary>
    /// The same crop, resize and colour with one scale and offset for every channel (a per-channel normalization
    /// dropped): what <c>with { Scale = …, Offset = … }</c> would not do, as it keeps the per-channel values.
    /// </summary>
    public ImagePipeline WithNormalization(float scale, float offset) => new(Height, Width, Channels, Color, Resize, scale, offset);

    /// <summary>Equal pipelines feed a model the same values (the per-channel normalization included).</summary>
    public bool Equals(ImagePipeline? other) =>
        other is not null && (Height, Width, Channels, Color, Resize, Scale, Offset) == (other.Height, other.Width, other.Channels, other.Color, other.Resize, other.Scale, other.Offset)
        && ChannelScales.AsSpan().SequenceEqual(other.ChannelScales) && ChannelOffsets.AsSpan().SequenceEqual(other.ChannelOffsets);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Height, Width, Channels, Color, Resize, Scale, Offset);

    /// <summary>Values per model input sample.</summary>
    public int SampleSize => Height * Width * Channels;

    /// <summary>The digit models' pipeline: grey, area resize, pixels / 255.</summary>
    public static ImagePipeline Digits(int height = 28, int width = 28) => new(height, width, 1, ColorMode.Grey, ResizeMode.Area, 1f / 255f, 0f);

    /// <summary>Keras' mobilenet_v2.preprocess_input on RGB (or grey-as-RGB) input: bilinear resize, pixels / 127.5 − 1.</summary>
    public static ImagePipeline MobileNet(int size, ColorMode color) => new(size, size, 3, color, ResizeMode.Bilinear, 1f / 127.5f, -1f);

    /// <summary>
    /// The pipeline a blob's metadata states: its input shape (required) and, when present, its color, resize and
    /// normalization; a blob without them is a digit model (grey, area, / 255).
    /// </summary>
    /// <exception cref="DatasetException">The input shape is not [H, W, C] with C 1 or 3, or a value is unknown.</exception>
    public static ImagePipeline FromMetadata(Func<MetadataKey, EnbValue?> get, string file)
    {
        ArgumentNullException.ThrowIfNull(get);
        int[] shape = get(MetadataKeys.InputShape)?.AsInt32Array() ?? [];
        if (shape.Length != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] is not (1 or 3))
        {
            throw new DatasetException($"{file}: metadata '{MetadataKeys.InputShape.Name}' is [{string.Join(", ", shape)}]; an image model needs [height, width, 1 or 3]");
        }

        var norm = get(MetadataKeys.InputNormalization)?.AsFloatArray() ?? [1f / 255f, 0f];
        if (norm.Length != 2 && norm.Length != 2 * shape[2])
        {
            throw new DatasetException($"{file}: metadata '{MetadataKeys.InputNormalization.Name}' has {norm.Length} values; it is [scale, offset] or, per channel, [{shape[2]} scales, {shape[2]} offsets]");
        }

        string color = get(MetadataKeys.InputColor)?.AsString() ?? (shape[2] == 1 ? "grey" : "rgb");
        string resize = get(MetadataKeys.InputResize)?.AsString() ?? "area";
        var mode = color switch
        {
            "grey" => ColorMode.Grey,
            "rgb" => ColorMode.Rgb,
            "grey_as_rgb" => ColorMode.GreyAsRgb,
            _ => throw new DatasetException($"{file}: metadata '{MetadataKeys.InputColor.Name}' is '{color}'; it is grey, rgb or grey_as_rgb"),
        };
        var r = resize switch
        {
            "area" => ResizeMode.Area,
            "bilinear" => ResizeMode.Bilinear,
            _ => throw new DatasetException($"{file}: metadata '{MetadataKeys.InputResize.Name}' is '{resize}'; it is area or bilinear"),
        };
        if ((mode == ColorMode.Grey) != (shape[2] == 1))
        {
            throw new DatasetException($"{file}: metadata '{MetadataKeys.InputColor.Name}' '{color}' does not fit {shape[2]} input channels");
        }

        return norm.Length == 2
            ? new ImagePipeline(shape[0], shape[1], shape[2], mode, r, norm[0], norm[1])
            : new ImagePipeline(shape[0], shape[1], shape[2], mode, r, norm[..shape[2]], norm[shape[2]..]);
    }

    /// <summary>The metadata that states this pipeline (written into blobs and saved models).</summary>
    public IEnumerable<KeyValuePair<string, EnbValue>> Metadata()
    {
        yield return new(MetadataKeys.InputShape.Name, EnbValue.Ints(Height, Width, Channels));
        yield return new(MetadataKeys.InputNormalization.Name, _scales is { } sc && _offsets is { } of ? EnbValue.Floats([.. sc, .. of]) : EnbValue.Floats(Scale, Offset));
        yield return new(MetadataKeys.InputColor.Name, EnbValue.String(Color switch { ColorMode.Grey => "grey", ColorMode.Rgb => "rgb", _ => "grey_as_rgb" }));
        yield return new(MetadataKeys.InputResize.Name, EnbValue.String(Resize == ResizeMode.Area ? "area" : "bilinear"));
    }

    /// <summary>
    /// Writes the model input for one image: <paramref name="src"/> is [h, w, c] with pixels 0..255 (c 1 or 3); <paramref name="dst"/>
    /// receives [Height, Width, Channels]. <paramref name="scratch"/>, when given, holds at least <see cref="ScratchFloats"/> values
    /// (else one is allocated).
    /// </summary>
    public void Apply(ReadOnlySpan<float> src, int h, int w, int c, Span<float> dst, float[]? scratch = null)
    {
        if (c is not (1 or 3) || src.Length < h * w * c || dst.Length < SampleSize)
        {
            throw new ArgumentException($"an image [{h}, {w}, {c}] of {src.Length} values into [{Height}, {Width}, {Channels}] of {dst.Length}: the channels must be 1 or 3 and the spans hold the pixels");
        }

        // 1. The channels the model counts: grey (or luma) first when it wants grey, so the resize works on fewer values.
        int mc = Color == ColorMode.Rgb ? 3 : 1;
        var t = scratch is { } s && s.Length >= ScratchFloats(h, w) ? s : new float[ScratchFloats(h, w)];
        var conv = t.AsSpan(0, h * w * mc);
        if (mc == c)
        {
            src[..(h * w * c)].CopyTo(conv);
        }
        else if (mc == 1)
        {
            for (int i = 0; i < h * w; i++)
            {
                conv[i] = (0.299f * src[3 * i]) + (0.587f * src[(3 * i) + 1]) + (0.114f * src[(3 * i) + 2]);
            }
        }
        else
        {
            for (int i = 0; i < h * w; i++)
            {
                conv[(3 * i) + 0] = conv[(3 * i) + 1] = conv[(3 * i) + 2] = src[i];
            }
        }

        // 2. Crop and resize into [Height, Width, mc].
        var sized = t.AsSpan(h * w * 3, Height * Width * mc);
        if (h == Height && w == Width)
        {
            conv.CopyTo(sized);
        }
        else if (Resize == ResizeMode.Area)
        {
            AreaResize(conv, h, w, mc, sized, Height, Width);
        }
        else
        {
            var (y0, x0, ch, cw) = CenterCrop(h, w, Height, Width);
            BilinearResize(conv, h, w, mc, y0, x0, ch, cw, sized, Height, Width);
        }

        // 3. Normalize, repeating grey to the model's channels (each with its own scale and offset when per channel).
        int k = Channels / mc;
        if (_scales is { } scales && _offsets is { } offsets)
        {
            for (int px = 0; px < Height * Width; px++)
            {
                for (int ch = 0; ch < Channels; ch++)
                {
                    dst[(px * Channels) + ch] = (sized[(px * mc) + (mc == 1 ? 0 : ch)] * scales[ch]) + offsets[ch];
                }
            }
        }
        else
        {
            for (int i = 0; i < Height * Width * mc; i++)
            {
                float v = (sized[i] * Scale) + Offset;
                for (int r = 0; r < k; r++)
                {
                    dst[(i * k) + r] = v;
                }
            }
        }
    }

    /// <summary>
    /// The model input for image <paramref name="index"/> of <paramref name="data"/> (pixels 0..1, as every dataset holds them):
    /// scaled back to 0..255, then <see cref="Apply(ReadOnlySpan{float}, int, int, int, Span{float}, float[])"/>. <paramref name="pixels"/> (at least data.SampleSize) and
    /// <paramref name="scratch"/> (at least <see cref="ScratchFloats"/>) are the caller's, so a loop allocates nothing.
    /// </summary>
    public void Apply(ImageDataset data, int index, Span<float> dst, float[] pixels, float[] scratch)
    {
        ArgumentNullException.ThrowIfNull(data);
        var src = data.Image(index);
        for (int k = 0; k < src.Length; k++)
        {
            pixels[k] = src[k] * 255f;
        }

        Apply(pixels, data.Height, data.Width, data.Channels, dst, scratch);
    }

    /// <summary>Scratch floats <see cref="Apply(ReadOnlySpan{float}, int, int, int, Span{float}, float[])"/> needs for an <paramref name="h"/>×<paramref name="w"/> image.</summary>
    public int ScratchFloats(int h, int w) => (h * w * 3) + (Height * Width * 3);

    /// <summary>The largest centred box of <paramref name="h"/>×<paramref name="w"/> with the aspect ratio of <paramref name="th"/>×<paramref name="tw"/>: (top, left, height, width).</summary>
    public static (int Y, int X, int H, int W) CenterCrop(int h, int w, int th, int tw)
    {
        // Compare h/w with th/tw in integers: crop the longer side.
        long a = (long)h * tw, b = (long)w * th;
        if (a > b)
        {
            int ch = (int)Math.Max(1, Math.Round((double)w * th / tw));
            return ((h - ch) / 2, 0, ch, w);
        }

        if (b > a)
        {
            int cw = (int)Math.Max(1, Math.Round((double)h * tw / th));
            return (0, (w - cw) / 2, h, cw);
        }

        return (0, 0, h, w);
    }

    /// <summary>
    /// Bilinear resize of the box (y0, x0, ch, cw) of src [h, w, c] into dst [th, tw, c] with half-pixel centres:
    /// source coordinate (o + 0.5)·(in / out) − 0.5 clamped at 0, neighbours clamped at the edge, as PyTorch computes it.
    /// </summary>
    public static void BilinearResize(ReadOnlySpan<float> src, int h, int w, int c, int y0, int x0, int ch, int cw, Span<float> dst, int th, int tw)
    {
        float sy = (float)ch / th, sx = (float)cw / tw;
        for (int oy = 0; oy < th; oy++)
        {
            float fy = Math.Max(0f, (sy * (oy + 0.5f)) - 0.5f);
            int iy = (int)fy, iy1 = iy < ch - 1 ? iy + 1 : iy;
            float ly = fy - iy;
            for (int ox = 0; ox < tw; ox++)
            {
                float fx = Math.Max(0f, (sx * (ox + 0.5f)) - 0.5f);
                int ix = (int)fx, ix1 = ix < cw - 1 ? ix + 1 : ix;
                float lx = fx - ix;
                int r0 = ((y0 + iy) * w) + x0, r1 = ((y0 + iy1) * w) + x0;
                for (int k = 0; k < c; k++)
                {
                    float top = ((1 - lx) * src[((r0 + ix) * c) + k]) + (lx * src[((r0 + ix1) * c) + k]);
                    float bottom = ((1 - lx) * src[((r1 + ix) * c) + k]) + (lx * src[((r1 + ix1) * c) + k]);
                    dst[(((oy * tw) + ox) * c) + k] = ((1 - ly) * top) + (ly * bottom);
                }
            }
        }
    }

    /// <summary>The mean of each output pixel's box of source pixels, rounded down (the digits' resize on 0..255 values).</summary>
    public static void AreaResize(ReadOnlySpan<float> src, int h, int w, int c, Span<float> dst, int th, int tw)
    {
        for (int y = 0; y < th; y++)
        {
            for (int x = 0; x < tw; x++)
            {
                int ya = y * h / th, yb = Math.Max(ya + 1, (y + 1) * h / th);
                int xa = x * w / tw, xb = Math.Max(xa + 1, (x + 1) * w / tw);
                for (int k = 0; k < c; k++)
                {
                    double sum = 0;
                    for (int yy = ya; yy < yb; yy++)
                    {
                        for (int xx = xa; xx < xb; xx++)
                        {
                            sum += src[(((yy * w) + xx) * c) + k];
                        }
                    }

                    dst[(((y * tw) + x) * c) + k] = (float)Math.Floor(sum / ((yb - ya) * (xb - xa)));
                }
            }
        }
    }

    /// <summary>The pipeline as one line, e.g. <c>96x96x3 grey_as_rgb bilinear x*0.007843+-1</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Height}x{Width}x{Channels} {(Color switch { ColorMode.Grey => "grey", ColorMode.Rgb => "rgb", _ => "grey_as_rgb" })} {(Resize == ResizeMode.Area ? "area" : "bilinear")} x*{Scale:G4}+{Offset:G4}");
}
