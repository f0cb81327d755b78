using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using EdgeNet.Kernels.Reference;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Convolution rows: im2col of one image (float, and int8 widened for the int8 GEMM) and its adjoint
/// col2im; for training, the forward and both backward products as im2col/col2im around the blocked
/// GEMM, over a caller-planned scratch that holds the columns of one or more images.
/// </summary>
internal static unsafe class Conv2D
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

    /// <summary>The adjoint of <see cref="Im2Col{T}"/> for one image: dx[ih, iw, ci] += cols[row, (kh·KW+kw)·C+ci] (rows at stride ld).</summary>
    public static void Col2Im(float* cols, in Window g, float* dx, int ld)
    {
        for (int row = 0; row < g.OutH * g.OutW; row++)
        {
            int oh = row / g.OutW, ow = row % g.OutW;
            float* r = cols + ((long)row * ld);
            int iw0 = (ow * g.SW) - g.PadLeft;
            int lo = Math.Max(0, -iw0), hi = Math.Min(g.KW, g.InW - iw0);
            if (lo >= hi)
            {
                continue;
            }

            for (int kh = 0; kh < g.KH; kh++)
            {
                int ih = (oh * g.SH) - g.PadTop + kh;
                if (ih < 0 || ih >= g.InH)
                {
                    continue;
                }

                var dst = new Span<float>(dx + ((((long)ih * g.InW) + iw0 + lo) * g.InC), (hi - lo) * g.InC);
                System.Numerics.Tensors.TensorPrimitives.Add(dst, new ReadOnlySpan<float>(r + (((kh * g.KW) + lo) * g.InC), dst.Length), dst);
            }
        }
    }

    /// <summary>Floats of training scratch that hold the columns of <paramref name="images"/> images.</summary>
    public static long ColsLength(in Window g, int images) => (long)images * g.OutH * g.OutW * g.Patch;

    private static bool IsPointwise(in Window g) => g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PadTop == 0 && g.PadLeft == 0;

    /// <summary>Images whose columns fit in <paramref name="cols"/> (at least one: the scratch must hold one image's).</summary>
    private static int ImagesPerChunk(in Window g, int batch, int cols)
    {
        long one = ColsLength(g, 1);
        if (cols < one)
        {
            throw new ArgumentException($"the convolution scratch holds {cols} floats; one image's columns need {one} (plan it with Conv2D.ColsLength)", nameof(cols));
        }

        return (int)Math.Min(batch, cols / one);
    }

    // x: [B, H, W, C]  w: [KH, KW, C, F] = [Patch, F]  →  y: [B, OH, OW, F] = im2col(x) · w (no bias)
    public static void Forward(ReadOnlySpan<float> x, int batch, in Window g, ReadOnlySpan<float> w, int f, Span<float> y, Span<float> cols)
    {
        int patch = g.Patch, rowsPerImage = g.OutH * g.OutW;
        if (IsPointwise(g))
        {
            Gemm.Sgemm(false, false, batch * rowsPerImage, f, patch, 1f, x, patch, w, f, 0f, y, f);
            return;
        }

        int chunk = ImagesPerChunk(g, batch, cols.Length);
        for (int b0 = 0; b0 < batch; b0 += chunk)
        {
            int nb = Math.Min(chunk, batch - b0), rows = nb * rowsPerImage;
            Im2ColImages(x, b0, nb, g, cols);
            Gemm.Sgemm(false, false, rows, f, patch, 1f, cols[..(rows * patch)], patch, w, f, 0f, y[(b0 * rowsPerImage * f)..], f);
        }
    }

    // dy: [B, OH, OW, F]  w: [Patch, F]  →  dx: [B, H, W, C] = col2im(dy · wᵀ)
    public static void BackwardData(ReadOnlySpan<float> dy, int batch, in Window g, ReadOnlySpan<float> w, int f, Span<float> dx, Span<float> cols)
    {
        int patch = g.Patch, rowsPerImage = g.OutH * g.OutW, image = g.InH * g.InW * g.InC;
        if (IsPointwise(g))
        {
            Gemm.Sgemm(false, true, batch * rowsPerImage, patch, f, 1f, dy, f, w, f, 0f, dx, patch);
            return;
        }

        dx[..(batch * image)].Clear();
        int chunk = ImagesPerChunk(g, batch, cols.Length);
        for (int b0 = 0; b0 < batch; b0 += chunk)
        {
            int nb = Math.Min(chunk, batch - b0), rows = nb * rowsPerImage;
            Gemm.Sgemm(false, true, rows, patch, f, 1f, dy[(b0 * rowsPerImage * f)..], f, w, f, 0f, cols[..(rows * patch)], patch);
            fixed (float* c = cols, d = dx)
            {
                for (int b = 0; b < nb; b++)
                {
                    Col2Im(c + ((long)b * rowsPerImage * patch), g, d + ((long)(b0 + b) * image), patch);
                }
            }
        }
    }

    // x: [B, H, W, C]  dy: [B, OH, OW, F]  →  dw: [Patch, F] = im2col(x)ᵀ · dy (no bias gradient: Dense.BiasGrad over [B·OH·OW, F])
    public static void BackwardFilter(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int batch, in Window g, int f, Span<float> dw, Span<float> cols)
    {
        int patch = g.Patch, rowsPerImage = g.OutH * g.OutW;
        if (IsPointwise(g))
        {
            Gemm.Sgemm(true, false, patch, f, batch * rowsPerImage, 1f, x, patch, dy, f, 0f, dw, f);
            return;
        }

        int chunk = ImagesPerChunk(g, batch, cols.Length);
        for (int b0 = 0; b0 < batch; b0 += chunk)
        {
            int nb = Math.Min(chunk, batch - b0), rows = nb * rowsPerImage;
            Im2ColImages(x, b0, nb, g, cols);
            Gemm.Sgemm(true, false, patch, f, rows, 1f, cols[..(rows * patch)], patch, dy[(b0 * rowsPerImage * f)..], f, b0 == 0 ? 0f : 1f, dw, f);
        }
    }

    // x: [B, H, W, C]  →  cols: [nb·OH·OW, Patch] for images b0 .. b0+nb−1; in parallel over images when the work is large
    private static void Im2ColImages(ReadOnlySpan<float> x, int b0, int nb, in Window g, Span<float> cols)
    {
        fixed (float* xp = x, cp = cols)
        {
            long image = (long)g.InH * g.InW * g.InC, rows = (long)g.OutH * g.OutW * g.Patch;
            if (nb > 1 && Gemm.Threads > 1 && rows * nb > 1 << 16)
            {
                Im2ColParallel((nint)(xp + (b0 * image)), image, nb, g, (nint)cp, rows);
                return;
            }

            for (int b = 0; b < nb; b++)
            {
                Im2Col(xp + ((b0 + b) * image), g, cp + (b * rows), 0f, g.Patch);
            }
        }
    }

    private static void Im2ColParallel(nint x, long image, int nb, Window g, nint cols, long rows) =>
        Parallel.For(0, nb, new ParallelOptions { MaxDegreeOfParallelism = Gemm.Threads },
            b => Im2Col((float*)x + (b * image), g, (float*)cols + (b * rows), 0f, g.Patch));
}
