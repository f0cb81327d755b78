using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using EdgeNet.Kernels.Reference;

namespace EdgeNet.Kernels.Simd;

/// <summary>Convolution as im2col of one image into scratch, then the packed GEMM; vector max pooling.</summary>
public static unsafe class Conv2D
{
    /// <summary>cols[(oh·OW+ow), (kh·KW+kw)·C+ci] = x[oh·s−pt+kh, ow·s−pl+kw, ci], <paramref name="pad"/> outside. x: one image [H, W, C].</summary>
    public static void Im2Col<T>(T* x, in Window g, T* cols, T pad, int ld, int rowStart = 0, int rowCount = int.MaxValue)
        where T : unmanaged
    {
        int run = g.KW * g.InC;
        int end = Math.Min(g.OutH * g.OutW, rowStart + Math.Min(rowCount, (g.OutH * g.OutW) - rowStart));
        for (int row = rowStart; row < end; row++)
        {
            int oh = row / g.OutW, ow = row % g.OutW;
            {
                T* r = cols + ((long)(row - rowStart) * ld);
                int iw0 = (ow * g.SW) - g.PadLeft;
                int lo = Math.Max(0, -iw0), hi = Math.Min(g.KW, g.InW - iw0);
                for (int kh = 0; kh < g.KH; kh++)
                {
                    var seg = new Span<T>(r + (kh * run), run);
                    int ih = (oh * g.SH) - g.PadTop + kh;
                    if (ih < 0 || ih >= g.InH || lo >= hi)
                    {
                        seg.Fill(pad);
                        continue;
                    }

                    seg[..(lo * g.InC)].Fill(pad);
                    new ReadOnlySpan<T>(x + (((long)ih * g.InW) + iw0 + lo) * g.InC, (hi - lo) * g.InC).CopyTo(seg[(lo * g.InC)..]);
                    seg[(hi * g.InC)..].Fill(pad);
                }

                for (int j = g.Patch; j < ld; j++)
                {
                    r[j] = pad;
                }
            }
        }
    }

    /// <summary>Im2col of an int8 image widened to int16 (the int8 GEMM's input), padding with the zero point.</summary>
    public static void Im2ColWiden(sbyte* x, in Window g, short* cols, short pad, int ld, int rowStart = 0, int rowCount = int.MaxValue)
    {
        int run = g.KW * g.InC;
        int end = Math.Min(g.OutH * g.OutW, rowStart + Math.Min(rowCount, (g.OutH * g.OutW) - rowStart));
        for (int row = rowStart; row < end; row++)
        {
            int oh = row / g.OutW, ow = row % g.OutW;
            {
                short* r = cols + ((long)(row - rowStart) * ld);
                int iw0 = (ow * g.SW) - g.PadLeft;
                int lo = Math.Max(0, -iw0), hi = Math.Min(g.KW, g.InW - iw0);
                for (int kh = 0; kh < g.KH; kh++)
                {
                    var seg = new Span<short>(r + (kh * run), run);
                    int ih = (oh * g.SH) - g.PadTop + kh;
                    if (ih < 0 || ih >= g.InH || lo >= hi)
                    {
                        seg.Fill(pad);
                        continue;
                    }

                    seg[..(lo * g.InC)].Fill(pad);
                    Int8Gemm.Widen(x + ((((long)ih * g.InW) + iw0 + lo) * g.InC), r + (kh * run) + (lo * g.InC), (hi - lo) * g.InC);
                    seg[(hi * g.InC)..].Fill(pad);
                }

                for (int j = g.Patch; j < ld; j++)
                {
                    r[j] = pad;
                }
            }
        }
    }
}
