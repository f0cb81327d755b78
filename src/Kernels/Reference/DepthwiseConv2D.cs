namespace EdgeNet.Kernels.Reference;

/// <summary>
/// Scalar depthwise convolution (Keras DepthwiseConv2D), float forward and both backward passes, and
/// int8. Each input channel c has its own KH×KW filters, <c>m</c> of them (the depth multiplier):
/// output channel c·m + j reads input channel c only. The kernel [KH, KW, C, M] is stored flat, so
/// it is also [KH, KW, C·M] with the output channel last.
/// </summary>
internal static unsafe class DepthwiseConv2D
{
    // x: [B, H, W, C]  w: [KH, KW, C·M]  b: [C·M] or null  y: [B, OH, OW, C·M]; act: 0 linear, 1 relu, 4 relu6
    public static void F32(float* x, int batch, in Window g, float* w, float* b, int m, int act, float* y)
    {
        int c = g.InC, f = c * m;
        for (int n = 0; n < batch; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int o = 0; o < f; o++)
                    {
                        int ci = o / m;
                        float s = b is null ? 0f : b[o];
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            int ih = (oh * g.SH) - g.PadTop + kh;
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int iw = (ow * g.SW) - g.PadLeft + kw;
                                if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW)
                                {
                                    continue;
                                }

                                s += x[((((long)n * g.InH + ih) * g.InW + iw) * c) + ci] * w[((((long)kh * g.KW) + kw) * f) + o];
                            }
                        }

                        y[((((long)n * g.OutH + oh) * g.OutW + ow) * f) + o] = Activations.Scalar(act, s);
                    }
                }
            }
        }
    }

    // dy: [B, OH, OW, C·M]  w: [KH, KW, C·M]  →  dx: [B, H, W, C] (each input's sum over the outputs whose window holds it)
    public static void BackwardData(ReadOnlySpan<float> dy, int batch, in Window g, ReadOnlySpan<float> w, int m, Span<float> dx)
    {
        int c = g.InC, f = c * m;
        dx[..(batch * g.InH * g.InW * c)].Clear();
        for (int n = 0; n < batch; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            int ih = (oh * g.SH) - g.PadTop + kh, iw = (ow * g.SW) - g.PadLeft + kw;
                            if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW)
                            {
                                continue;
                            }

                            for (int o = 0; o < f; o++)
                            {
                                dx[((((n * g.InH) + ih) * g.InW + iw) * c) + (o / m)] += dy[((((n * g.OutH) + oh) * g.OutW + ow) * f) + o] * w[(((kh * g.KW) + kw) * f) + o];
                            }
                        }
                    }
                }
            }
        }
    }

    // x: [B, H, W, C]  dy: [B, OH, OW, C·M]  →  dw: [KH, KW, C·M]
    public static void BackwardFilter(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int batch, in Window g, int m, Span<float> dw)
    {
        int c = g.InC, f = c * m;
        dw[..(g.KH * g.KW * f)].Clear();
        for (int n = 0; n < batch; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            int ih = (oh * g.SH) - g.PadTop + kh, iw = (ow * g.SW) - g.PadLeft + kw;
                            if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW)
                            {
                                continue;
                            }

                            for (int o = 0; o < f; o++)
                            {
                                dw[(((kh * g.KW) + kw) * f) + o] += x[((((n * g.InH) + ih) * g.InW + iw) * c) + (o / m)] * dy[((((n * g.OutH) + oh) * g.OutW + ow) * f) + o];
                            }
                        }
                    }
                }
            }
        }
    }

    // x int8 [B, H, W, C] (zero point zx; padding contributes 0)  w int8 [KH, KW, C·M] symmetric per output channel
    // bias int32 [C·M]  requant [2, C·M]  →  y int8 [B, OH, OW, C·M] clamped to [lo, hi]
    public static void Int8(sbyte* x, int batch, in Window g, int zx, sbyte* w, int* bias, int* requant, int m, int zy, int lo, int hi, sbyte* y)
    {
        int c = g.InC, f = c * m;
        for (int n = 0; n < batch; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int o = 0; o < f; o++)
                    {
                        int acc = bias[o];
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            int ih = (oh * g.SH) - g.PadTop + kh;
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int iw = (ow * g.SW) - g.PadLeft + kw;
                                if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW)
                                {
                                    continue;
                                }

                                acc += (x[((((long)n * g.InH + ih) * g.InW + iw) * c) + (o / m)] - zx) * w[((((long)kh * g.KW) + kw) * f) + o];
                            }
                        }

                        y[((((long)n * g.OutH + oh) * g.OutW + ow) * f) + o] = Requantize.Layer(acc, Requantize.LayerScale(requant[o], requant[f + o]), zy, lo, hi);
                    }
                }
            }
        }
    }
}
