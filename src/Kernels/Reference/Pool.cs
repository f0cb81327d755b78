namespace EdgeNet.Kernels.Reference;

/// <summary>Scalar max and average pooling over NHWC, float and int8 (int8 max pooling keeps the scale and zero point; int8 average pooling requantizes).</summary>
internal static unsafe class Pool
{
    // Max pooling; x, y: [B, H, W, C] → [B, OH, OW, C]; T is float or sbyte.
    public static void MaxPool<T>(T* x, int batch, in Window g, T* y)
        where T : unmanaged, IComparable<T>
    {
        for (int n = 0; n < batch; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int c = 0; c < g.InC; c++)
                    {
                        bool any = false;
                        T m = default;
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int ih = (oh * g.SH) - g.PadTop + kh, iw = (ow * g.SW) - g.PadLeft + kw;
                                if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW)
                                {
                                    continue;
                                }

                                T v = x[((((long)n * g.InH + ih) * g.InW + iw) * g.InC) + c];
                                if (!any || v.CompareTo(m) > 0)
                                {
                                    m = v;
                                    any = true;
                                }
                            }
                        }

                        y[((((long)n * g.OutH + oh) * g.OutW + ow) * g.InC) + c] = m;
                    }
                }
            }
        }
    }

    // Max pooling backward; x: [B, H, W, C]  y, dy: [B, OH, OW, C]  →  dx: [B, H, W, C]. Each dy goes to the
    // first tap of its window (row-major) where x equals the max, as TensorFlow routes it.
    public static void MaxPoolBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in Window g)
    {
        dx[..(batch * g.InH * g.InW * g.InC)].Clear();
        for (int n = 0; n < batch; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int c = 0; c < g.InC; c++)
                    {
                        int o = ((((n * g.OutH) + oh) * g.OutW + ow) * g.InC) + c;
                        int first = FirstMax(x, n, oh, ow, c, y[o], g);
                        if (first >= 0)
                        {
                            dx[first] += dy[o];
                        }
                    }
                }
            }
        }
    }

    private static int FirstMax(ReadOnlySpan<float> x, int n, int oh, int ow, int c, float max, in Window g)
    {
        for (int kh = 0; kh < g.KH; kh++)
        {
            for (int kw = 0; kw < g.KW; kw++)
            {
                int ih = (oh * g.SH) - g.PadTop + kh, iw = (ow * g.SW) - g.PadLeft + kw;
                int i = ((((n * g.InH) + ih) * g.InW + iw) * g.InC) + c;
                if (ih >= 0 && ih < g.InH && iw >= 0 && iw < g.InW && x[i] == max)
                {
                    return i;
                }
            }
        }

        return -1;
    }

    // Average pooling; x: [B, H, W, C] → y: [B, OH, OW, C], the mean over the window's taps inside the image (padding is
    // not counted, as TensorFlow's avg_pool). A window that covers the whole image is global average pooling.
    public static void AvgPool(float* x, int batch, in Window g, float* y)
    {
        for (int n = 0; n < batch; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int c = 0; c < g.InC; c++)
                    {
                        double s = 0;
                        int count = 0;
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int ih = (oh * g.SH) - g.PadTop + kh, iw = (ow * g.SW) - g.PadLeft + kw;
                                if (ih >= 0 && ih < g.InH && iw >= 0 && iw < g.InW)
                                {
                                    s += x[((((long)n * g.InH + ih) * g.InW + iw) * g.InC) + c];
                                    count++;
                                }
                            }
                        }

                        y[((((long)n * g.OutH + oh) * g.OutW + ow) * g.InC) + c] = count == 0 ? 0f : (float)(s / count);
                    }
                }
            }
        }
    }

    // Average pooling backward; dy: [B, OH, OW, C]  →  dx: [B, H, W, C], each tap of a window receives dy / (taps inside the image).
    public static void AvgPoolBackward(ReadOnlySpan<float> dy, Span<float> dx, int batch, in Window g)
    {
        dx[..(batch * g.InH * g.InW * g.InC)].Clear();
        for (int n = 0; n < batch; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int count = Taps(g, oh, ow);
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            int ih = (oh * g.SH) - g.PadTop + kh, iw = (ow * g.SW) - g.PadLeft + kw;
                            if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW)
                            {
                                continue;
                            }

                            for (int c = 0; c < g.InC; c++)
                            {
                                dx[((((n * g.InH) + ih) * g.InW + iw) * g.InC) + c] += dy[((((n * g.OutH) + oh) * g.OutW + ow) * g.InC) + c] / count;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>How many taps of the window at (oh, ow) lie inside the image.</summary>
    public static int Taps(in Window g, int oh, int ow)
    {
        int h0 = Math.Max(0, (oh * g.SH) - g.PadTop), h1 = Math.Min(g.InH, (oh * g.SH) - g.PadTop + g.KH);
        int w0 = Math.Max(0, (ow * g.SW) - g.PadLeft), w1 = Math.Min(g.InW, (ow * g.SW) - g.PadLeft + g.KW);
        return Math.Max(0, h1 - h0) * Math.Max(0, w1 - w0);
    }

    // int8 average pooling; x: [B, H, W, C] (zero point zx)  requant: [2, KH·KW], the multiplier and shift for a window
    // of k taps at k − 1 (sx / (k · sy))  →  y: [B, OH, OW, C] = clamp(zy + round(Σ(x − zx) · M_k), −128, 127)
    public static void AvgPoolInt8(sbyte* x, int batch, in Window g, int zx, int* requant, int zy, sbyte* y)
    {
        int taps = g.KH * g.KW;
        for (int n = 0; n < batch; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int count = Taps(g, oh, ow);
                    for (int c = 0; c < g.InC; c++)
                    {
                        int acc = 0;
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int ih = (oh * g.SH) - g.PadTop + kh, iw = (ow * g.SW) - g.PadLeft + kw;
                                if (ih >= 0 && ih < g.InH && iw >= 0 && iw < g.InW)
                                {
                                    acc += x[((((long)n * g.InH + ih) * g.InW + iw) * g.InC) + c] - zx;
                                }
                            }
                        }

                        y[((((long)n * g.OutH + oh) * g.OutW + ow) * g.InC) + c] = count == 0
                            ? (sbyte)zy
                            : Requantize.Apply(acc, requant[count - 1], requant[taps + count - 1], zy, -128, 127);
                    }
                }
            }
        }
    }
}
