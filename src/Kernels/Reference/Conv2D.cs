namespace EdgeNet.Kernels.Reference;

/// <summary>Scalar direct convolution, float and int8.</summary>
internal static unsafe class Conv2D
{
    // x: [B, H, W, C]  w: [KH, KW, C, F]  b: [F]  y: [B, OH, OW, F]
    public static void F32(float* x, int batch, in Window g, float* w, float* b, int f, int act, float* y)
    {
        for (int n = 0; n < batch; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int c = 0; c < f; c++)
                    {
                        float s = b[c];
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

                                for (int ci = 0; ci < g.InC; ci++)
                                {
                                    s += x[((((long)n * g.InH + ih) * g.InW + iw) * g.InC) + ci] * w[((((long)kh * g.KW + kw) * g.InC + ci) * f) + c];
                                }
                            }
                        }

                        y[((((long)n * g.OutH + oh) * g.OutW + ow) * f) + c] = act == 1 ? Math.Max(s, 0f) : s;
                    }
                }
            }
        }
    }

    // dy: [B, OH, OW, F]  w: [KH, KW, C, F]  →  dx: [B, H, W, C] (each input's sum over the outputs whose window holds it)
    public static void BackwardData(ReadOnlySpan<float> dy, int batch, in Window g, ReadOnlySpan<float> w, int f, Span<float> dx)
    {
        dx[..(batch * g.InH * g.InW * g.InC)].Clear();
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

                            for (int ci = 0; ci < g.InC; ci++)
                            {
                                float s = 0;
                                for (int c = 0; c < f; c++)
                                {
                                    s += dy[((((n * g.OutH) + oh) * g.OutW + ow) * f) + c] * w[((((kh * g.KW) + kw) * g.InC + ci) * f) + c];
                                }

                                dx[((((n * g.InH) + ih) * g.InW + iw) * g.InC) + ci] += s;
                            }
                        }
                    }
                }
            }
        }
    }

    // x: [B, H, W, C]  dy: [B, OH, OW, F]  →  dw: [KH, KW, C, F] (the bias gradient is Dense.BackwardWeights' db over [B·OH·OW, F])
    public static void BackwardFilter(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int batch, in Window g, int f, Span<float> dw)
    {
        dw[..(g.Patch * f)].Clear();
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

                            for (int ci = 0; ci < g.InC; ci++)
                            {
                                float xv = x[((((n * g.InH) + ih) * g.InW + iw) * g.InC) + ci];
                                for (int c = 0; c < f; c++)
                                {
                                    dw[((((kh * g.KW) + kw) * g.InC + ci) * f) + c] += xv * dy[((((n * g.OutH) + oh) * g.OutW + ow) * f) + c];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // x int8 (zero point zx; padding contributes 0)  w int8 symmetric  bias int32  requant [2, F]
    public static void Int8(sbyte* x, int batch, in Window g, int zx, sbyte* w, int* bias, int* requant, int f, int zy, int lo, int hi, sbyte* y)
    {
        for (int n = 0; n < batch; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int c = 0; c < f; c++)
                    {
                        int acc = bias[c];
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

                                for (int ci = 0; ci < g.InC; ci++)
                                {
                                    acc += (x[((((long)n * g.InH + ih) * g.InW + iw) * g.InC) + ci] - zx) * w[((((long)kh * g.KW + kw) * g.InC + ci) * f) + c];
                                }
                            }
                        }

                        y[((((long)n * g.OutH + oh) * g.OutW + ow) * f) + c] = Requantize.Layer(acc, Requantize.LayerScale(requant[c], requant[f + c]), zy, lo, hi);
                    }
                }
            }
        }
    }
}
