using EdgeNet.Formats.Data;
using StbImageSharp;

namespace EdgeNet.Runtime.Input.Camera;

/// <summary>Why a frame gave no digit.</summary>
public enum Rejection
{
    /// <summary>A digit was found and written.</summary>
    None,

    /// <summary>The frame's size or buffer length is not the one the preprocessor was planned for.</summary>
    WrongSize,

    /// <summary>The frame could not be decoded (a corrupt or truncated JPEG).</summary>
    Undecodable,

    /// <summary>Ink and paper are too close in brightness to tell apart.</summary>
    LowContrast,

    /// <summary>Nothing dark enough on the page: a blank page.</summary>
    NoInk,

    /// <summary>The largest dark component is too small to be a digit (a dot, a smudge).</summary>
    TooSmall,

    /// <summary>The digit touches the frame's edge, so part of it may be cut off.</summary>
    TouchesBorder,

    /// <summary>The dark component covers too much of the frame (a shadow, a hand).</summary>
    TooLarge,
}

/// <summary>What preprocessing found in a frame.</summary>
/// <param name="Rejected">Why there is no digit (<see cref="Rejection.None"/>: the 28×28 digit was written).</param>
/// <param name="Reason">A sentence for the user when rejected.</param>
/// <param name="Threshold">Otsu's threshold on the luminance.</param>
/// <param name="Contrast">Mean of the light class minus mean of the dark class.</param>
/// <param name="Box">The digit's bounding box in the frame (x, y, width, height).</param>
/// <param name="Area">Pixels of the digit's connected component.</param>
public readonly record struct DigitFinding(Rejection Rejected, string? Reason, int Threshold, double Contrast, (int X, int Y, int W, int H) Box, int Area)
{
    /// <summary>True when a digit was found (<see cref="Rejected"/> is <see cref="Rejection.None"/>).</summary>
    public bool Accepted => Rejected == Rejection.None;
}

/// <summary>Limits that tell a digit from an empty page, a smudge or a shadow.</summary>
public sealed record DigitPreprocessorOptions
{
    /// <summary>Light-class mean minus dark-class mean below this (0..255) is a blank or washed-out frame.</summary>
    public double MinContrast { get; init; } = 40;

    /// <summary>The digit's box must be at least this tall [pixels].</summary>
    public int MinHeight { get; init; } = 16;

    /// <summary>The digit's component must have at least this many pixels.</summary>
    public int MinArea { get; init; } = 60;

    /// <summary>A component covering more than this share of the frame is a shadow or the table, not a digit.</summary>
    public double MaxAreaFraction { get; init; } = 0.25;
}

/// <summary>
/// Turns a camera frame into a 28×28 digit as MNIST was made: luminance; the lighting evened out (each pixel
/// over the local paper brightness); Otsu's threshold (dark ink on light paper; the digit comes out light on
/// dark, as MNIST's); the largest 8-connected component of ink as the
/// digit; its box scaled to fit 20×20 keeping the aspect ratio (area averaging, grey levels kept); placed in
/// 28×28 with its centre of mass at the centre. Frames without a plausible digit are rejected with a reason.
/// Buffers are planned for the frame size at construction: a raw frame (YUYV, grey) allocates nothing;
/// MJPEG frames are decoded by StbImageSharp, which allocates the decoded image.
/// </summary>
public sealed class DigitPreprocessor
{
    /// <summary>The digit's side in the output.</summary>
    public const int Side = 28;

    /// <summary>The box the digit is scaled to fit (MNIST: 20×20).</summary>
    public const int Fit = 20;

    private readonly DigitPreprocessorOptions _options;
    private readonly byte[] _gray;      // [height, width] luminance
    private readonly int[] _labels;     // [height, width] component id per ink pixel (0: none)
    private readonly int[] _queue;      // [height·width] flood-fill queue
    private readonly int[] _area = new int[MaxComponents + 1];                      // [component] pixels
    private readonly (int X0, int Y0, int X1, int Y1)[] _extent = new (int, int, int, int)[MaxComponents + 1]; // [component] box
    private readonly bool[] _inDigit = new bool[MaxComponents + 1];                 // [component] part of the digit

    /// <summary>Components whose statistics are kept per frame (later ones are too many specks to be a digit's parts).</summary>
    public const int MaxComponents = 4096;
    private readonly int[] _histogram = new int[256];
    private readonly float[] _box;      // [Fit, Fit] the scaled digit before placement
    private readonly float[] _paper;    // [blocksY, blocksX] the brightest luminance per block: the lighting
    private readonly int _blocksX;
    private readonly int _blocksY;
    private readonly float[] _paperRow;  // [blocksX] 255 / paper brightness along the current row
    private readonly int[] _column0;     // [width] the block column left of each pixel's centre
    private readonly float[] _columnT;   // [width] the pixel's weight towards the next block column

    /// <summary>Side of the blocks the lighting is estimated on [pixels].</summary>
    public const int Block = 32;

    /// <summary>Plans every buffer for frames of <paramref name="width"/> × <paramref name="height"/> (at least 28 × 28): nothing is allocated per frame after this.</summary>
    public DigitPreprocessor(int width, int height, DigitPreprocessorOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, Side);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, Side);
        (Width, Height) = (width, height);
        _options = options ?? new DigitPreprocessorOptions();
        _gray = new byte[width * height];
        _labels = new int[width * height];
        _queue = new int[width * height];
        _box = new float[Fit * Fit];
        _blocksX = (width + Block - 1) / Block;
        _blocksY = (height + Block - 1) / Block;
        _paper = new float[_blocksX * _blocksY];
        _paperRow = new float[_blocksX];
        _column0 = new int[width];
        _columnT = new float[width];
        for (int x = 0; x < width; x++)
        {
            float fx = Math.Clamp(((x + 0.5f) / Block) - 0.5f, 0, _blocksX - 1);
            _column0[x] = (int)fx;
            _columnT[x] = fx - (int)fx;
        }
    }

    /// <summary>The frame width this preprocessor was planned for [pixels].</summary>
    public int Width { get; }

    /// <summary>The frame height this preprocessor was planned for [pixels].</summary>
    public int Height { get; }

    /// <summary>The luminance of the last frame ([height, width]; for --debug-dir).</summary>
    public ReadOnlySpan<byte> Luminance => _gray;

    /// <summary>The component id of each pixel of the last frame (0: paper).</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>Preprocesses <paramref name="frame"/>; on acceptance writes the digit (values 0..1, light on dark) to <paramref name="digit"/> [28·28].</summary>
    public DigitFinding Process(in Frame frame, Span<float> digit)
    {
        if (digit.Length < Side * Side)
        {
            throw new ArgumentException($"the digit buffer holds {digit.Length} values; it needs {Side * Side}", nameof(digit));
        }

        return Load(frame) is { } bad ? bad : Find(digit);
    }

    /// <summary>The decode stage: the frame's luminance into the planned buffer; a rejection when the frame cannot give it.</summary>
    public DigitFinding? Load(in Frame frame) => Luma(frame);

    /// <summary>The preprocessing stage on the loaded luminance: threshold, components, the 28×28 digit.</summary>
    public DigitFinding Find(Span<float> digit)
    {
        if (digit.Length < Side * Side)
        {
            throw new ArgumentException($"the digit buffer holds {digit.Length} values; it needs {Side * Side}", nameof(digit));
        }

        FlattenLighting();

        // Otsu: the threshold that maximises the between-class variance of the luminance histogram.
        Array.Clear(_histogram);
        foreach (byte p in _gray)
        {
            _histogram[p]++;
        }

        int t = Otsu(_histogram, out double darkMean, out double lightMean);
        double contrast = lightMean - darkMean;
        if (contrast < _options.MinContrast)
        {
            // A thin digit is a tiny share of the frame: Otsu may split the paper's noise instead. Then the
            // threshold is midway between the paper (the median) and the darkest 0.05% of the frame, when
            // those differ by half again the minimum contrast.
            int paper = Percentile(_histogram, _gray.Length, 0.5), ink = Percentile(_histogram, _gray.Length, 0.0005);
            if (paper - ink >= 1.5 * _options.MinContrast)
            {
                (t, darkMean, lightMean, contrast) = ((paper + ink) / 2, ink, paper, paper - ink);
            }
        }

        if (contrast < _options.MinContrast)
        {
            return Reject(Rejection.LowContrast, $"low contrast: the light and dark parts differ by {contrast:F0} grey levels (at least {_options.MinContrast:F0}); light the page evenly, or is there a digit?", t, contrast);
        }

        var (box, area, label) = LargestInk(t);
        if (area == 0)
        {
            return Reject(Rejection.NoInk, "no ink darker than the paper", t, contrast);
        }

        (box, area) = GatherPieces(box, area, label);

        var finding = new DigitFinding(Rejection.None, null, t, contrast, box, area);
        if (area > _options.MaxAreaFraction * Width * Height)
        {
            return finding with { Rejected = Rejection.TooLarge, Reason = $"the largest dark region covers {100.0 * area / (Width * Height):F0}% of the frame: a shadow or the table, not a digit" };
        }

        if (box.H < _options.MinHeight || area < _options.MinArea)
        {
            return finding with { Rejected = Rejection.TooSmall, Reason = $"the largest mark is {box.W}x{box.H} px ({area} px of ink): too small for a digit (at least {_options.MinHeight} px tall); move the camera closer" };
        }

        if (box.X == 0 || box.Y == 0 || box.X + box.W == Width || box.Y + box.H == Height)
        {
            return finding with { Rejected = Rejection.TouchesBorder, Reason = "the digit touches the frame's border: centre it in the view" };
        }

        int inkLevel = InkLevel(box);
        Place(GrowToFaintEdge(box, inkLevel, lightMean), inkLevel, lightMean, digit);
        return finding;
    }

    /// <summary>
    /// Evens out the lighting before the threshold: the paper's brightness is estimated as the brightest
    /// pixel of each 32×32 block (a pen stroke never fills a block), interpolated bilinearly between block
    /// centres, and each pixel divided by it (paper → 255, ink keeps its contrast). Without this a small digit
    /// on an unevenly lit page loses to the lighting: Otsu splits bright paper from dim paper.
    /// </summary>
    private void FlattenLighting()
    {
        int w = Width, h = Height, bx = _blocksX;
        Array.Clear(_paper);
        for (int y = 0; y < h; y++)
        {
            var row = _gray.AsSpan(y * w, w);
            var blocks = _paper.AsSpan((y / Block) * bx, bx);
            for (int b = 0; b < bx; b++)
            {
                int x0 = b * Block;
                byte m = System.Numerics.Tensors.TensorPrimitives.Max(row.Slice(x0, Math.Min(Block, w - x0)));
                blocks[b] = Math.Max(blocks[b], m);
            }
        }

        // Reciprocals of the interpolated paper brightness, one row at a time: columns' block and weight are planned.
        for (int y = 0; y < h; y++)
        {
            float fy = Math.Clamp(((y + 0.5f) / Block) - 0.5f, 0, _blocksY - 1);
            int y0 = (int)fy, y1 = Math.Min(y0 + 1, _blocksY - 1);
            float ty = fy - y0;
            for (int b = 0; b < bx; b++)
            {
                _paperRow[b] = 255f / Math.Max(1, _paper[(y0 * bx) + b] + (ty * (_paper[(y1 * bx) + b] - _paper[(y0 * bx) + b])));
            }

            int i = y * w;
            for (int x = 0; x < w; x++, i++)
            {
                int c0 = _column0[x];
                float k = _paperRow[c0] + (_columnT[x] * (_paperRow[Math.Min(c0 + 1, bx - 1)] - _paperRow[c0]));
                _gray[i] = (byte)Math.Min(255, (int)((_gray[i] * k) + 0.5f));
            }
        }
    }

    private static int Percentile(ReadOnlySpan<int> histogram, int total, double q)
    {
        long seen = 0, want = Math.Max(1, (long)Math.Ceiling(q * total));
        for (int v = 0; v < 256; v++)
        {
            seen += histogram[v];
            if (seen >= want)
            {
                return v;
            }
        }

        return 255;
    }

    /// <summary>Otsu's threshold (pixels ≤ t are the dark class) and the two classes' means.</summary>
    public static int Otsu(ReadOnlySpan<int> histogram, out double darkMean, out double lightMean)
    {
        long total = 0;
        double sumAll = 0;
        for (int i = 0; i < 256; i++)
        {
            total += histogram[i];
            sumAll += (double)i * histogram[i];
        }

        long wDark = 0;
        double sumDark = 0, best = -1;
        int threshold = 0;
        (darkMean, lightMean) = (0, 0);
        for (int t = 0; t < 255; t++)
        {
            wDark += histogram[t];
            sumDark += (double)t * histogram[t];
            long wLight = total - wDark;
            if (wDark == 0 || wLight == 0)
            {
                continue;
            }

            double m0 = sumDark / wDark, m1 = (sumAll - sumDark) / wLight;
            double between = (double)wDark * wLight * (m0 - m1) * (m0 - m1);
            if (between > best)
            {
                (best, threshold, darkMean, lightMean) = (between, t, m0, m1);
            }
        }

        return threshold;
    }

    private static DigitFinding Reject(Rejection why, string reason, int t = 0, double contrast = 0) => new(why, reason, t, contrast, default, 0);

    // The frame's luminance into _gray; a frame of the wrong size or format is a rejection, not an exception.
    private DigitFinding? Luma(in Frame frame)
    {
        var data = frame.Data.Span;
        if (frame.Format == FramePixelFormat.Mjpeg)
        {
            if (JpegCheck.Problem(data) is { } problem)
            {
                return Reject(Rejection.Undecodable, $"the JPEG frame cannot be decoded ({problem})");
            }

            ImageResult img;
            try
            {
                img = ImageResult.FromMemory(frame.Data.ToArray(), ColorComponents.Grey);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException)
            {
                return Reject(Rejection.Undecodable, $"the JPEG frame cannot be decoded ({e.Message})");
            }

            if (img.Width != Width || img.Height != Height)
            {
                return Reject(Rejection.WrongSize, $"the JPEG frame is {img.Width}x{img.Height}; this pipeline was planned for {Width}x{Height}");
            }

            img.Data.AsSpan(0, Width * Height).CopyTo(_gray);
            return null;
        }

        if (frame.Width != Width || frame.Height != Height)
        {
            return Reject(Rejection.WrongSize, $"the frame is {frame.Width}x{frame.Height}; this pipeline was planned for {Width}x{Height}");
        }

        if (data.Length != frame.ExpectedBytes)
        {
            return Reject(Rejection.WrongSize, $"the {frame.Format} frame has {data.Length} bytes; {Width}x{Height} needs {frame.ExpectedBytes} (a truncated buffer?)");
        }

        if (frame.Format == FramePixelFormat.Gray8)
        {
            data.CopyTo(_gray);
        }
        else
        {
            for (int i = 0; i < _gray.Length; i++)
            {
                _gray[i] = data[2 * i]; // Y0 U Y1 V: every even byte is a pixel's luminance
            }
        }

        return null;
    }

    // 8-connected components of ink (luminance ≤ t) by flood fill; the largest one's box, area and id.
    private ((int X, int Y, int W, int H) Box, int Area, int Label) LargestInk(int t)
    {
        Array.Clear(_labels);
        int w = Width, h = Height, next = 0, bestArea = 0, bestLabel = 0;
        (int X, int Y, int W, int H) bestBox = default;
        for (int start = 0; start < _gray.Length; start++)
        {
            if (_gray[start] > t || _labels[start] != 0)
            {
                continue;
            }

            int label = ++next, head = 0, tail = 0, area = 0;
            int x0 = w, y0 = h, x1 = -1, y1 = -1;
            _labels[start] = label;
            _queue[tail++] = start;
            while (head < tail)
            {
                int p = _queue[head++], py = p / w, px = p - (py * w);
                area++;
                x0 = Math.Min(x0, px);
                x1 = Math.Max(x1, px);
                y0 = Math.Min(y0, py);
                y1 = Math.Max(y1, py);
                for (int dy = -1; dy <= 1; dy++)
                {
                    int ny = py + dy;
                    if ((uint)ny >= (uint)h)
                    {
                        continue;
                    }

                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = px + dx, q = (ny * w) + nx;
                        if ((uint)nx < (uint)w && _labels[q] == 0 && _gray[q] <= t)
                        {
                            _labels[q] = label;
                            _queue[tail++] = q;
                        }
                    }
                }
            }

            if (label <= MaxComponents)
            {
                _area[label] = area;
                _extent[label] = (x0, y0, x1, y1);
            }

            if (area > bestArea)
            {
                (bestArea, bestLabel, bestBox) = (area, label, (x0, y0, x1 - x0 + 1, y1 - y0 + 1));
            }
        }

        _components = Math.Min(next, MaxComponents);
        return (bestBox, bestArea, bestLabel);
    }

    private int _components;

    // The digit is the largest component and the sizeable pieces next to it (a 4 or a 5 whose strokes the
    // threshold cut apart): components of at least 4% of its ink whose box touches its box grown by a quarter.
    private ((int X, int Y, int W, int H) Box, int Area) GatherPieces((int X, int Y, int W, int H) box, int area, int label)
    {
        Array.Clear(_inDigit, 0, _components + 1);
        _inDigit[label] = true;
        int grow = Math.Max(box.W, box.H) / 4;
        int gx0 = box.X - grow, gy0 = box.Y - grow, gx1 = box.X + box.W - 1 + grow, gy1 = box.Y + box.H - 1 + grow;
        int x0 = box.X, y0 = box.Y, x1 = box.X + box.W - 1, y1 = box.Y + box.H - 1, total = area;
        for (int c = 1; c <= _components; c++)
        {
            var e = _extent[c];
            if (c == label || _area[c] * 25 < area || e.X1 < gx0 || e.X0 > gx1 || e.Y1 < gy0 || e.Y0 > gy1)
            {
                continue;
            }

            _inDigit[c] = true;
            total += _area[c];
            (x0, y0, x1, y1) = (Math.Min(x0, e.X0), Math.Min(y0, e.Y0), Math.Max(x1, e.X1), Math.Max(y1, e.Y1));
        }

        return ((x0, y0, x1 - x0 + 1, y1 - y0 + 1), total);
    }

    private bool InDigit(int componentLabel) => componentLabel != 0 && componentLabel <= _components && _inDigit[componentLabel];

    // The ink's full strength: the 10th percentile of the component's luminance (its stroke cores; the dark
    // class's mean would count the blurred edges in and saturate the digit into thick strokes).
    private int InkLevel((int X, int Y, int W, int H) box)
    {
        Array.Clear(_histogram);
        int n = 0;
        for (int y = box.Y; y < box.Y + box.H; y++)
        {
            for (int x = box.X; x < box.X + box.W; x++)
            {
                int p = (y * Width) + x;
                if (InDigit(_labels[p]))
                {
                    _histogram[_gray[p]]++;
                    n++;
                }
            }
        }

        for (int v = 0, seen = 0; v < 256; v++)
        {
            seen += _histogram[v];
            if (seen * 10 >= n)
            {
                return v;
            }
        }

        return 0;
    }

    // The box MNIST would have fitted: the thresholded component misses the stroke's faint anti-aliased edge
    // (MNIST's box holds every non-zero pixel), so each side moves out while the next line still has ink of
    // at least a fifth of full strength, by at most an eighth of the box.
    private (int X, int Y, int W, int H) GrowToFaintEdge((int X, int Y, int W, int H) box, int ink, double paper)
    {
        int faint = (int)(paper - (0.2 * (paper - ink)));
        int x0 = box.X, y0 = box.Y, x1 = box.X + box.W - 1, y1 = box.Y + box.H - 1, limit = Math.Max(1, Math.Max(box.W, box.H) / 8);
        bool Dark(int x, int y)
        {
            int p = (y * Width) + x, l = _labels[p];
            return _gray[p] <= faint && (l == 0 || InDigit(l));
        }

        bool RowHas(int y)
        {
            for (int x = x0; x <= x1; x++)
            {
                if (Dark(x, y))
                {
                    return true;
                }
            }

            return false;
        }

        bool ColumnHas(int x)
        {
            for (int y = y0; y <= y1; y++)
            {
                if (Dark(x, y))
                {
                    return true;
                }
            }

            return false;
        }

        for (int i = 0; i < limit && y0 > 0 && RowHas(y0 - 1); i++)
        {
            y0--;
        }

        for (int i = 0; i < limit && y1 < Height - 1 && RowHas(y1 + 1); i++)
        {
            y1++;
        }

        for (int i = 0; i < limit && x0 > 0 && ColumnHas(x0 - 1); i++)
        {
            x0--;
        }

        for (int i = 0; i < limit && x1 < Width - 1 && ColumnHas(x1 + 1); i++)
        {
            x1++;
        }

        return (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    // The component's box as ink strength (0 paper .. 1 ink, grey levels kept; other components' ink left
    // out), scaled to fit 20×20 by area averaging, then placed in 28×28 with its centre of mass at (14, 14).
    private void Place((int X, int Y, int W, int H) box, double ink, double paper, Span<float> digit)
    {
        double scale = (double)Fit / Math.Max(box.W, box.H);
        int ow = Math.Clamp((int)Math.Ceiling((box.W * scale) - 1e-9), 1, Fit), oh = Math.Clamp((int)Math.Ceiling((box.H * scale) - 1e-9), 1, Fit);
        double pixelArea = 1 / (scale * scale); // source pixels under one output pixel: a pixel the box half covers gets half
        double range = Math.Max(1, paper - ink);
        Array.Clear(_box);
        for (int oy = 0; oy < oh; oy++)
        {
            // The source rows [sy0, sy1) this output row covers, with fractional weights at the ends.
            double sy0 = box.Y + (oy / scale), sy1 = box.Y + ((oy + 1) / scale);
            for (int ox = 0; ox < ow; ox++)
            {
                double sx0 = box.X + (ox / scale), sx1 = box.X + ((ox + 1) / scale);
                double sum = 0;
                for (int y = (int)sy0; y < Math.Min(box.Y + box.H, (int)Math.Ceiling(sy1)); y++)
                {
                    double wy = Math.Min(y + 1, sy1) - Math.Max(y, sy0);
                    for (int x = (int)sx0; x < Math.Min(box.X + box.W, (int)Math.Ceiling(sx1)); x++)
                    {
                        double wxy = wy * (Math.Min(x + 1, sx1) - Math.Max(x, sx0));
                        int p = (y * Width) + x;
                        int l = _labels[p];
                        double v = l != 0 && !InDigit(l) ? 0 : Math.Clamp((paper - _gray[p]) / range, 0, 1);
                        sum += wxy * v;
                    }
                }

                _box[(oy * Fit) + ox] = (float)(sum / pixelArea);
            }
        }

        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                double v = _box[(y * Fit) + x];
                mass += v;
                mx += v * x;
                my += v * y;
            }
        }

        // Shift so the centre of mass (in pixel indices, as MNIST's digits have it: at 14, 14) lands on the
        // field's centre, kept inside the 28×28 field.
        int left = mass > 0 ? (int)Math.Round((Side / 2.0) - (mx / mass), MidpointRounding.AwayFromZero) : (Side - ow) / 2;
        int top = mass > 0 ? (int)Math.Round((Side / 2.0) - (my / mass), MidpointRounding.AwayFromZero) : (Side - oh) / 2;
        left = Math.Clamp(left, 0, Side - ow);
        top = Math.Clamp(top, 0, Side - oh);
        digit[..(Side * Side)].Clear();
        for (int y = 0; y < oh; y++)
        {
            _box.AsSpan(y * Fit, ow).CopyTo(digit.Slice(((top + y) * Side) + left, ow));
        }
    }
}
