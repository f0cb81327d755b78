using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using EdgeNet.Kernels.Reference;

namespace EdgeNet.Kernels.Simd;

/// <summary>Vectorized max and average pooling over NHWC (channels across lanes), float and int8, and their backward passes (float).</summary>
internal static unsafe class Pool
{
    public static void MaxPool(float* x, int batch, in Window g, float* y) => MaxPoolT(x, batch, g, y);

    public static void MaxPool(sbyte* x, int batch, in Window g, sbyte* y) => MaxPoolT(x, batch, g, y);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPoolT<T>(T* x, int batch, in Window g, T* y)
        where T : unmanaged, System.Numerics.INumber<T>, System.Numerics.IMinMaxValue<T>
    {
        int c = g.InC;
        for (int n = 0; n < batch; n++)
        {
            T* xn = x + ((long)n * g.InH * g.InW * c);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int h0 = Math.Max(0, (oh * g.SH) - g.PadTop), h1 = Math.Min(g.InH, (oh * g.SH) - g.PadTop + g.KH);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int w0 = Math.Max(0, (ow * g.SW) - g.PadLeft), w1 = Math.Min(g.InW, (ow * g.SW) - g.PadLeft + g.KW);
                    T* dst = y + ((((long)n * g.OutH + oh) * g.OutW + ow) * c);
                    if (h0 >= h1 || w0 >= w1)
                    {
                        new Span<T>(dst, c).Fill(T.MinValue);
                        continue;
                    }

                    // Channels a vector at a time across every tap of the window, then the tail.
                    int ci = 0;
                    if (Vector512.IsHardwareAccelerated)
                    {
                        for (; ci + Vector512<T>.Count <= c; ci += Vector512<T>.Count)
                        {
                            var m = Vector512.Load(xn + ((((long)h0 * g.InW) + w0) * c) + ci);
                            for (int ih = h0; ih < h1; ih++)
                            {
                                for (int iw = w0; iw < w1; iw++)
                                {
                                    m = Vector512.Max(m, Vector512.Load(xn + ((((long)ih * g.InW) + iw) * c) + ci));
                                }
                            }

                            m.Store(dst + ci);
                        }
                    }

                    for (; ci + Vector128<T>.Count <= c; ci += Vector128<T>.Count)
                    {
                        var m = Vector128.Load(xn + ((((long)h0 * g.InW) + w0) * c) + ci);
                        for (int ih = h0; ih < h1; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                m = Vector128.Max(m, Vector128.Load(xn + ((((long)ih * g.InW) + iw) * c) + ci));
                            }
                        }

                        m.Store(dst + ci);
                    }

                    for (; ci < c; ci++)
                    {
                        T m = xn[(((long)h0 * g.InW) + w0) * c + ci];
                        for (int ih = h0; ih < h1; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                m = T.Max(m, xn[(((long)ih * g.InW) + iw) * c + ci]);
                            }
                        }

                        dst[ci] = m;
                    }
                }
            }
        }
    }

    // x: [B, H, W, C]  y, dy: [B, OH, OW, C]  →  dx: [B, H, W, C]; images [n0, n0 + count) only (the caller may
    // split a batch across threads). Each dy goes to the first tap where x equals the max (the reference's rule);
    // channels a vector at a time with a "still looking" mask, then the tail as the reference does it.
    public static void MaxPoolBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, in Window g, int n0, int count)
    {
        int c = g.InC, w = Vector<float>.Count, image = g.InH * g.InW * c;
        dx.Slice(n0 * image, count * image).Clear();
        for (int n = n0; n < n0 + count; n++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int h0 = Math.Max(0, (oh * g.SH) - g.PadTop), h1 = Math.Min(g.InH, (oh * g.SH) - g.PadTop + g.KH);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int w0 = Math.Max(0, (ow * g.SW) - g.PadLeft), w1 = Math.Min(g.InW, (ow * g.SW) - g.PadLeft + g.KW);
                    int o = (((n * g.OutH) + oh) * g.OutW + ow) * c;
                    int c0 = 0;
                    for (; c0 <= c - w; c0 += w)
                    {
                        var m = new Vector<float>(y[(o + c0)..]);
                        var gv = new Vector<float>(dy[(o + c0)..]);
                        var looking = Vector<int>.AllBitsSet;
                        for (int ih = h0; ih < h1; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                int i = ((((n * g.InH) + ih) * g.InW + iw) * c) + c0;
                                var hit = Vector.Equals(new Vector<float>(x[i..]), m) & looking;
                                (new Vector<float>(dx[i..]) + Vector.ConditionalSelect(hit, gv, Vector<float>.Zero)).CopyTo(dx[i..]);
                                looking &= ~hit;
                            }
                        }
                    }

                    for (; c0 < c; c0++)
                    {
                        bool done = false;
                        for (int ih = h0; ih < h1 && !done; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                int i = ((((n * g.InH) + ih) * g.InW + iw) * c) + c0;
                                if (x[i] == y[o + c0])
                                {
                                    dx[i] += dy[o + c0];
                                    done = true;
                                    break;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // x: [B, H, W, C] → y: [B, OH, OW, C]: the mean over the window's taps inside the image (global average pooling when the
    // window is the image); sums a vector of channels over the taps, then scales by 1 / taps.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgPool(float* x, int batch, in Window g, float* y)
    {
        int c = g.InC, lanes = Vector<float>.Count;
        for (int n = 0; n < batch; n++)
        {
            float* xn = x + ((long)n * g.InH * g.InW * c);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int h0 = Math.Max(0, (oh * g.SH) - g.PadTop), h1 = Math.Min(g.InH, (oh * g.SH) - g.PadTop + g.KH);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int w0 = Math.Max(0, (ow * g.SW) - g.PadLeft), w1 = Math.Min(g.InW, (ow * g.SW) - g.PadLeft + g.KW);
                    float* dst = y + ((((long)n * g.OutH + oh) * g.OutW + ow) * c);
                    int count = Math.Max(0, h1 - h0) * Math.Max(0, w1 - w0);
                    float inv = count == 0 ? 0f : 1f / count;
                    int ci = 0;
                    for (; ci + lanes <= c; ci += lanes)
                    {
                        var s = Vector<float>.Zero;
                        for (int ih = h0; ih < h1; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                s += Unsafe.ReadUnaligned<Vector<float>>(xn + ((((long)ih * g.InW) + iw) * c) + ci);
                            }
                        }

                        Unsafe.WriteUnaligned(dst + ci, s * inv);
                    }

                    for (; ci < c; ci++)
                    {
                        float s = 0;
                        for (int ih = h0; ih < h1; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                s += xn[(((long)ih * g.InW) + iw) * c + ci];
                            }
                        }

                        dst[ci] = s * inv;
                    }
                }
            }
        }
    }

    // dy: [B, OH, OW, C]  →  dx: [B, H, W, C] for images [n0, n0 + count) (cleared first): each tap of a window gets dy / taps
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgPoolBackward(float* dy, float* dx, in Window g, int n0, int count)
    {
        int c = g.InC, lanes = Vector<float>.Count;
        long image = (long)g.InH * g.InW * c;
        new Span<float>(dx + (n0 * image), (int)(count * image)).Clear();
        for (int n = n0; n < n0 + count; n++)
        {
            float* dxn = dx + (n * image);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int h0 = Math.Max(0, (oh * g.SH) - g.PadTop), h1 = Math.Min(g.InH, (oh * g.SH) - g.PadTop + g.KH);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int w0 = Math.Max(0, (ow * g.SW) - g.PadLeft), w1 = Math.Min(g.InW, (ow * g.SW) - g.PadLeft + g.KW);
                    int taps = Math.Max(0, h1 - h0) * Math.Max(0, w1 - w0);
                    if (taps == 0)
                    {
                        continue;
                    }

                    float inv = 1f / taps;
                    float* gp = dy + ((((long)n * g.OutH + oh) * g.OutW + ow) * c);
                    for (int ih = h0; ih < h1; ih++)
                    {
                        for (int iw = w0; iw < w1; iw++)
                        {
                            float* dp = dxn + ((((long)ih * g.InW) + iw) * c);
                            int ci = 0;
                            for (; ci + lanes <= c; ci += lanes)
                            {
                                Unsafe.WriteUnaligned(dp + ci, Unsafe.ReadUnaligned<Vector<float>>(dp + ci) + (Unsafe.ReadUnaligned<Vector<float>>(gp + ci) * inv));
                            }

                            for (; ci < c; ci++)
                            {
                                dp[ci] += gp[ci] * inv;
                            }
                        }
                    }
                }
            }
        }
    }

    // int8 average pooling; x: [B, H, W, C] (zero point zx)  requant: [2, KH·KW] by taps − 1  →  y: [B, OH, OW, C];
    // Σ(x − zx) a vector of channels at a time in int32 (acc: [C] scratch), requantized per channel as the reference does.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgPoolInt8(sbyte* x, int batch, in Window g, int zx, int* requant, int zy, int* acc, sbyte* y)
    {
        int c = g.InC, lanes = Vector<short>.Count, taps = g.KH * g.KW;
        for (int n = 0; n < batch; n++)
        {
            sbyte* xn = x + ((long)n * g.InH * g.InW * c);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int h0 = Math.Max(0, (oh * g.SH) - g.PadTop), h1 = Math.Min(g.InH, (oh * g.SH) - g.PadTop + g.KH);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int w0 = Math.Max(0, (ow * g.SW) - g.PadLeft), w1 = Math.Min(g.InW, (ow * g.SW) - g.PadLeft + g.KW);
                    int count = Math.Max(0, h1 - h0) * Math.Max(0, w1 - w0);
                    sbyte* dst = y + ((((long)n * g.OutH + oh) * g.OutW + ow) * c);
                    if (count == 0)
                    {
                        new Span<sbyte>(dst, c).Fill((sbyte)zy);
                        continue;
                    }

                    int ci = 0;
                    for (; ci + (2 * lanes) <= c; ci += 2 * lanes)
                    {
                        // 2·lanes int8 channels widen to two int16 vectors, then to four int32 vectors.
                        Vector<int> a0 = default, a1 = default, a2 = default, a3 = default;
                        for (int ih = h0; ih < h1; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                var b = Unsafe.ReadUnaligned<Vector<sbyte>>(xn + ((((long)ih * g.InW) + iw) * c) + ci);
                                Vector.Widen(b, out Vector<short> lo16, out Vector<short> hi16);
                                Vector.Widen(lo16, out Vector<int> i0, out Vector<int> i1);
                                Vector.Widen(hi16, out Vector<int> i2, out Vector<int> i3);
                                a0 += i0;
                                a1 += i1;
                                a2 += i2;
                                a3 += i3;
                            }
                        }

                        var z = new Vector<int>(count * zx);
                        int q = Vector<int>.Count;
                        Unsafe.WriteUnaligned(acc + ci, a0 - z);
                        Unsafe.WriteUnaligned(acc + ci + q, a1 - z);
                        Unsafe.WriteUnaligned(acc + ci + (2 * q), a2 - z);
                        Unsafe.WriteUnaligned(acc + ci + (3 * q), a3 - z);
                    }

                    for (; ci < c; ci++)
                    {
                        int s = 0;
                        for (int ih = h0; ih < h1; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                s += xn[(((long)ih * g.InW) + iw) * c + ci];
                            }
                        }

                        acc[ci] = s - (count * zx);
                    }

                    Elementwise.RequantizeInt32(acc, c, requant[count - 1], requant[taps + count - 1], zy, dst);
                }
            }
        }
    }
}
