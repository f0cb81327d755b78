using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>Convolution by im2col + packed GEMM, and max pooling; NHWC input, HWIO kernels.</summary>
public sealed partial class CpuBackend
{
    /// <summary>Upper bound of one im2col chunk (floats): images are processed in groups that fit.</summary>
    private const int ColsBudget = 1 << 20;

    private static int ImagesPerChunk(in Conv2DGeometry g)
    {
        long perImage = (long)g.OutH * g.OutW * g.KH * g.KW * g.InC;
        return (int)Math.Clamp(ColsBudget / Math.Max(1, perImage), 1, g.Batch);
    }

    private static bool IsPointwise(in Conv2DGeometry g) =>
        g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0;

    public void Conv2DForward(in Conv2DGeometry g, Storage x, Storage w, Storage y)
    {
        // x: [B,H,W,C]  w: [KH,KW,C,F] = [KKC, F]  y: [B,OH,OW,F] = [B·OH·OW, F]
        int kkc = g.KH * g.KW * g.InC;
        int rowsPerImage = g.OutH * g.OutW;
        if (IsPointwise(g))
        {
            EdgeNet.Kernels.Simd.Gemm.Sgemm(false, false, g.Batch * rowsPerImage, g.OutC, kkc, 1f, S(x), kkc, S(w), g.OutC, 0f, S(y), g.OutC);
            return;
        }

        int chunk = ImagesPerChunk(g);
        float[] cols = ArrayPool<float>.Shared.Rent(chunk * rowsPerImage * kkc);
        try
        {
            for (int b0 = 0; b0 < g.Batch; b0 += chunk)
            {
                int nb = Math.Min(chunk, g.Batch - b0);
                Im2Col(g, A(x), b0, nb, cols);
                int rows = nb * rowsPerImage;
                EdgeNet.Kernels.Simd.Gemm.Sgemm(false, false, rows, g.OutC, kkc, 1f, cols.AsSpan(0, rows * kkc), kkc, S(w), g.OutC, 0f,
                    S(y).Slice(b0 * rowsPerImage * g.OutC), g.OutC);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(cols);
        }
    }

    public void Conv2DBackwardData(in Conv2DGeometry g, Storage dy, Storage w, Storage dx)
    {
        // dcols[rows, KKC] = dy[rows, F] · wᵀ[F, KKC], then col2im adds each row back into dx.
        int kkc = g.KH * g.KW * g.InC;
        int rowsPerImage = g.OutH * g.OutW;
        if (IsPointwise(g))
        {
            EdgeNet.Kernels.Simd.Gemm.Sgemm(false, true, g.Batch * rowsPerImage, kkc, g.OutC, 1f, S(dy), g.OutC, S(w), g.OutC, 0f, S(dx), kkc);
            return;
        }

        S(dx)[..g.InputSize].Clear();
        int chunk = ImagesPerChunk(g);
        float[] cols = ArrayPool<float>.Shared.Rent(chunk * rowsPerImage * kkc);
        try
        {
            for (int b0 = 0; b0 < g.Batch; b0 += chunk)
            {
                int nb = Math.Min(chunk, g.Batch - b0);
                int rows = nb * rowsPerImage;
                EdgeNet.Kernels.Simd.Gemm.Sgemm(false, true, rows, kkc, g.OutC, 1f, S(dy).Slice(b0 * rowsPerImage * g.OutC), g.OutC, S(w), g.OutC, 0f,
                    cols.AsSpan(0, rows * kkc), kkc);
                Col2Im(g, cols, b0, nb, A(dx));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(cols);
        }
    }

    public void Conv2DBackwardFilter(in Conv2DGeometry g, Storage x, Storage dy, Storage dw)
    {
        // dw[KKC, F] = colsᵀ[KKC, rows] · dy[rows, F], accumulated over image chunks.
        int kkc = g.KH * g.KW * g.InC;
        int rowsPerImage = g.OutH * g.OutW;
        if (IsPointwise(g))
        {
            EdgeNet.Kernels.Simd.Gemm.Sgemm(true, false, kkc, g.OutC, g.Batch * rowsPerImage, 1f, S(x), kkc, S(dy), g.OutC, 0f, S(dw), g.OutC);
            return;
        }

        int chunk = ImagesPerChunk(g);
        float[] cols = ArrayPool<float>.Shared.Rent(chunk * rowsPerImage * kkc);
        try
        {
            for (int b0 = 0; b0 < g.Batch; b0 += chunk)
            {
                int nb = Math.Min(chunk, g.Batch - b0);
                int rows = nb * rowsPerImage;
                Im2Col(g, A(x), b0, nb, cols);
                EdgeNet.Kernels.Simd.Gemm.Sgemm(true, false, kkc, g.OutC, rows, 1f, cols.AsSpan(0, rows * kkc), kkc, S(dy).Slice(b0 * rowsPerImage * g.OutC), g.OutC,
                    b0 == 0 ? 0f : 1f, S(dw), g.OutC);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(cols);
        }
    }

    /// <summary>cols[(b·OH+oh)·OW+ow, (kh·KW+kw)·C+c] = x[b0+b, oh·s−pt+kh, ow·s−pl+kw, c] (0 outside the image).</summary>
    private static void Im2Col(Conv2DGeometry g, float[] x, int b0, int nb, float[] cols)
    {
        int kkc = g.KH * g.KW * g.InC;
        int rowsPerImage = g.OutH * g.OutW;
        ForImages(nb, rowsPerImage * kkc, b =>
        {
            var dst = cols.AsSpan(b * rowsPerImage * kkc, rowsPerImage * kkc);
            int imageBase = (b0 + b) * g.InH * g.InW * g.InC;
            int row = 0;
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++, row++)
                {
                    var r = dst.Slice(row * kkc, kkc);
                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    int kwLo = Math.Max(0, -iw0), kwHi = Math.Min(g.KW, g.InW - iw0);
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        var seg = r.Slice(kh * g.KW * g.InC, g.KW * g.InC);
                        int ih = (oh * g.StrideH) - g.PadTop + kh;
                        if (ih < 0 || ih >= g.InH || kwLo >= kwHi)
                        {
                            seg.Clear();
                            continue;
                        }

                        // One contiguous run of (kwHi − kwLo)·C floats in NHWC.
                        seg[..(kwLo * g.InC)].Clear();
                        x.AsSpan(imageBase + (((ih * g.InW) + iw0 + kwLo) * g.InC), (kwHi - kwLo) * g.InC).CopyTo(seg[(kwLo * g.InC)..]);
                        seg[(kwHi * g.InC)..].Clear();
                    }
                }
            }
        });
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: dx[b0+b, ih, iw, c] += cols[row, (kh·KW+kw)·C+c].</summary>
    private static void Col2Im(Conv2DGeometry g, float[] cols, int b0, int nb, float[] dx)
    {
        int kkc = g.KH * g.KW * g.InC;
        int rowsPerImage = g.OutH * g.OutW;
        ForImages(nb, rowsPerImage * kkc, b =>
        {
            var src = cols.AsSpan(b * rowsPerImage * kkc, rowsPerImage * kkc);
            int imageBase = (b0 + b) * g.InH * g.InW * g.InC;
            int row = 0;
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++, row++)
                {
                    var r = src.Slice(row * kkc, kkc);
                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    int kwLo = Math.Max(0, -iw0), kwHi = Math.Min(g.KW, g.InW - iw0);
                    if (kwLo >= kwHi)
                    {
                        continue;
                    }

                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        int ih = (oh * g.StrideH) - g.PadTop + kh;
                        if (ih < 0 || ih >= g.InH)
                        {
                            continue;
                        }

                        var dst = dx.AsSpan(imageBase + (((ih * g.InW) + iw0 + kwLo) * g.InC), (kwHi - kwLo) * g.InC);
                        TensorPrimitives.Add(dst, r.Slice(((kh * g.KW) + kwLo) * g.InC, (kwHi - kwLo) * g.InC), dst);
                    }
                }
            }
        });
    }

    /// <summary>Runs <paramref name="body"/> for each image, in parallel when there is enough work.</summary>
    private static void ForImages(int count, long workPerImage, Action<int> body)
    {
        if (count > 1 && workPerImage * count > 1 << 16 && EdgeNet.Kernels.Simd.Gemm.MaxThreads > 1)
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = EdgeNet.Kernels.Simd.Gemm.MaxThreads }, body);
        }
        else
        {
            for (int b = 0; b < count; b++)
            {
                body(b);
            }
        }
    }

    public void MaxPoolForward(in Conv2DGeometry g, Storage x, Storage y)
    {
        // x: [B,H,W,C] -> y: [B,OH,OW,C]; windows clipped to the image (padding never wins).
        float[] xs = A(x), ys = A(y);
        var geo = g;
        ForImages(g.Batch, (long)g.OutH * g.OutW * g.InC * g.KH * g.KW, b =>
        {
            int C = geo.InC;
            for (int oh = 0; oh < geo.OutH; oh++)
            {
                for (int ow = 0; ow < geo.OutW; ow++)
                {
                    var dst = ys.AsSpan((((b * geo.OutH) + oh) * geo.OutW + ow) * C, C);
                    dst.Fill(float.NegativeInfinity);
                    for (int kh = 0; kh < geo.KH; kh++)
                    {
                        int ih = (oh * geo.StrideH) - geo.PadTop + kh;
                        if (ih < 0 || ih >= geo.InH)
                        {
                            continue;
                        }

                        for (int kw = 0; kw < geo.KW; kw++)
                        {
                            int iw = (ow * geo.StrideW) - geo.PadLeft + kw;
                            if (iw < 0 || iw >= geo.InW)
                            {
                                continue;
                            }

                            TensorPrimitives.Max(dst, xs.AsSpan((((b * geo.InH) + ih) * geo.InW + iw) * C, C), dst);
                        }
                    }
                }
            }
        });
    }

    public void MaxPoolBackward(in Conv2DGeometry g, Storage x, Storage y, Storage dy, Storage dx)
    {
        // Each dy[b,oh,ow,c] goes to the first window position where x equals the max (as TensorFlow
        // does). Channels are contiguous in NHWC, so a vector of channels is handled at once with a
        // "still looking" mask.
        float[] xs = A(x), ys = A(y), gs = A(dy), ds = A(dx);
        var geo = g;
        Array.Clear(ds, 0, g.InputSize);
        ForImages(g.Batch, (long)g.OutH * g.OutW * g.InC * g.KH * g.KW, b =>
        {
            int C = geo.InC;
            int w = Vector<float>.Count;
            for (int oh = 0; oh < geo.OutH; oh++)
            {
                for (int ow = 0; ow < geo.OutW; ow++)
                {
                    int o = (((b * geo.OutH) + oh) * geo.OutW + ow) * C;
                    int c0 = 0;
                    for (; c0 <= C - w; c0 += w)
                    {
                        var m = new Vector<float>(ys, o + c0);
                        var gv = new Vector<float>(gs, o + c0);
                        var looking = Vector<int>.AllBitsSet;
                        for (int kh = 0; kh < geo.KH; kh++)
                        {
                            int ih = (oh * geo.StrideH) - geo.PadTop + kh;
                            if (ih < 0 || ih >= geo.InH)
                            {
                                continue;
                            }

                            for (int kw = 0; kw < geo.KW; kw++)
                            {
                                int iw = (ow * geo.StrideW) - geo.PadLeft + kw;
                                if (iw < 0 || iw >= geo.InW)
                                {
                                    continue;
                                }

                                int i = ((((b * geo.InH) + ih) * geo.InW + iw) * C) + c0;
                                var hit = Vector.Equals(new Vector<float>(xs, i), m) & looking;
                                (new Vector<float>(ds, i) + Vector.ConditionalSelect(hit, gv, Vector<float>.Zero)).CopyTo(ds, i);
                                looking &= ~hit;
                            }
                        }
                    }

                    for (int c = c0; c < C; c++)
                    {
                        float m = ys[o + c];
                        bool done = false;
                        for (int kh = 0; kh < geo.KH && !done; kh++)
                        {
                            int ih = (oh * geo.StrideH) - geo.PadTop + kh;
                            if (ih < 0 || ih >= geo.InH)
                            {
                                continue;
                            }

                            for (int kw = 0; kw < geo.KW; kw++)
                            {
                                int iw = (ow * geo.StrideW) - geo.PadLeft + kw;
                                if (iw < 0 || iw >= geo.InW)
                                {
                                    continue;
                                }

                                int i = ((((b * geo.InH) + ih) * geo.InW + iw) * C) + c;
                                if (xs[i] == m)
                                {
                                    ds[i] += gs[o + c];
                                    done = true;
                                    break;
                                }
                            }
                        }
                    }
                }
            }
        });
    }
}
