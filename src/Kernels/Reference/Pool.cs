namespace EdgeNet.Kernels.Reference;

/// <summary>Scalar max pooling over NHWC, float and int8 (int8 max pooling keeps the scale and zero point).</summary>
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
}
