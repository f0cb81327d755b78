namespace EdgeNet.Formats.Data;

/// <summary>Geometric changes to a dataset that a new camera or a new hand brings (for fine-tuning experiments).</summary>
public static class ImageTransforms
{
    /// <summary>
    /// Each image rotated about its centre by an angle drawn uniformly from ±[<paramref name="minDegrees"/>,
    /// <paramref name="maxDegrees"/>] (the sign drawn too), bilinear, background 0 outside; labels kept.
    /// Deterministic for a seed (SplitMix64).
    /// </summary>
    public static ImageDataset Rotate(ImageDataset d, double minDegrees, double maxDegrees, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (!(minDegrees >= 0 && maxDegrees >= minDegrees && maxDegrees <= 180))
        {
            throw new ArgumentException($"rotation range {minDegrees}..{maxDegrees} degrees: give 0 <= min <= max <= 180");
        }

        var images = new float[d.Images.Length];
        ulong state = seed;
        int h = d.Height, w = d.Width, c = d.Channels;
        double cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
        for (int n = 0; n < d.Count; n++)
        {
            double u = Next(ref state), sign = Next(ref state) < 0.5 ? -1 : 1;
            double a = sign * (minDegrees + ((maxDegrees - minDegrees) * u)) * Math.PI / 180;
            double cos = Math.Cos(a), sin = Math.Sin(a);
            var src = d.Image(n);
            var dst = images.AsSpan(n * d.SampleSize, d.SampleSize);
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    // The source point that lands on (y, x): the inverse rotation.
                    double sx = (cos * (x - cx)) + (sin * (y - cy)) + cx, sy = (-sin * (x - cx)) + (cos * (y - cy)) + cy;
                    int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                    double fx = sx - x0, fy = sy - y0;
                    for (int ch = 0; ch < c; ch++)
                    {
                        double v = ((1 - fy) * (((1 - fx) * At(src, h, w, c, y0, x0, ch)) + (fx * At(src, h, w, c, y0, x0 + 1, ch))))
                            + (fy * (((1 - fx) * At(src, h, w, c, y0 + 1, x0, ch)) + (fx * At(src, h, w, c, y0 + 1, x0 + 1, ch))));
                        dst[(((y * w) + x) * c) + ch] = (float)v;
                    }
                }
            }
        }

        return new ImageDataset($"{d.Name} rotated {minDegrees}-{maxDegrees} deg", images, (int[])d.Labels.Clone(), h, w, c, d.ClassNames);
    }

    private static float At(ReadOnlySpan<float> img, int h, int w, int c, int y, int x, int ch) =>
        y < 0 || y >= h || x < 0 || x >= w ? 0f : img[(((y * w) + x) * c) + ch];

    /// <summary>SplitMix64 as a double in [0, 1).</summary>
    private static double Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (z ^ (z >> 31)) / 18446744073709551616.0;
    }
}
