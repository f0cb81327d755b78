using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using EdgeNet.Kernels.Reference;

namespace EdgeNet.Kernels.Simd;

/// <summary>Vectorized max pooling over NHWC (channels across lanes), float and int8, and its backward (float).</summary>
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
}
