using System.Buffers;
using EdgeNet.Kernels.Reference;
using SimdDw = EdgeNet.Kernels.Simd.DepthwiseConv2D;
using SimdPool = EdgeNet.Kernels.Simd.Pool;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>Depthwise convolution, average pooling and zero padding from EdgeNet.Kernels; NHWC input, [KH, KW, C, M] depthwise kernels.</summary>
internal sealed partial class CpuBackend
{
    // x: [B,H,W,C]  w: [KH,KW,C,M]  →  y: [B,OH,OW,C·M]; images split between threads
    public unsafe void DepthwiseForward(in Conv2DGeometry g, int multiplier, Storage x, Storage w, Storage y)
    {
        var win = W(g);
        float[] xs = A(x), ws = A(w), ys = A(y);
        ForImageRanges(g.Batch, (long)g.OutH * g.OutW * g.OutC * g.KH * g.KW, (n0, n1) =>
        {
            fixed (float* xp = xs, wp = ws, yp = ys)
            {
                SimdDw.Forward(xp, n0, n1, win, wp, null, multiplier, Activations.Linear, yp);
            }
        });
    }

    // dy: [B,OH,OW,C·M]  w: [KH,KW,C,M]  →  dx: [B,H,W,C]
    public unsafe void DepthwiseBackwardData(in Conv2DGeometry g, int multiplier, Storage dy, Storage w, Storage dx)
    {
        var win = W(g);
        float[] gs = A(dy), ws = A(w), ds = A(dx);
        ForImageRanges(g.Batch, (long)g.OutH * g.OutW * g.OutC * g.KH * g.KW, (n0, n1) =>
        {
            fixed (float* gp = gs, wp = ws, dp = ds)
            {
                SimdDw.BackwardData(gp, n0, n1, win, wp, multiplier, dp);
            }
        });
    }

    // x: [B,H,W,C]  dy: [B,OH,OW,C·M]  →  dw: [KH,KW,C,M]; each thread sums its images into its own buffer, then the buffers are added
    public unsafe void DepthwiseBackwardFilter(in Conv2DGeometry g, int multiplier, Storage x, Storage dy, Storage dw)
    {
        var win = W(g);
        float[] xs = A(x), gs = A(dy);
        int size = g.KH * g.KW * g.OutC;
        var dws = S(dw)[..size];
        dws.Clear();
        int parts = Parts(g.Batch, (long)g.OutH * g.OutW * g.OutC * g.KH * g.KW);
        if (parts == 1)
        {
            fixed (float* xp = xs, gp = gs, dp = A(dw))
            {
                SimdDw.BackwardFilter(xp, gp, 0, g.Batch, win, multiplier, dp);
            }

            return;
        }

        float[] partial = ArrayPool<float>.Shared.Rent(parts * size);
        try
        {
            Array.Clear(partial, 0, parts * size);
            int batch = g.Batch;
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
            {
                fixed (float* xp = xs, gp = gs, dp = partial)
                {
                    SimdDw.BackwardFilter(xp, gp, batch * p / parts, batch * (p + 1) / parts, win, multiplier, dp + ((long)p * size));
                }
            });
            for (int p = 0; p < parts; p++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(dws, partial.AsSpan(p * size, size), dws);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partial);
        }
    }

    // x: [B,H,W,C]  →  y: [B,OH,OW,C], the mean of each window's taps inside the image
    public unsafe void AvgPoolForward(in Conv2DGeometry g, Storage x, Storage y)
    {
        var win = W(g);
        float[] xs = A(x), ys = A(y);
        ForImageRanges(g.Batch, (long)g.OutH * g.OutW * g.InC * g.KH * g.KW, (n0, n1) =>
        {
            fixed (float* xp = xs, yp = ys)
            {
                SimdPool.AvgPool(xp + ((long)n0 * win.InH * win.InW * win.InC), n1 - n0, win, yp + ((long)n0 * win.OutH * win.OutW * win.InC));
            }
        });
    }

    // dy: [B,OH,OW,C]  →  dx: [B,H,W,C]
    public unsafe void AvgPoolBackward(in Conv2DGeometry g, Storage dy, Storage dx)
    {
        var win = W(g);
        float[] gs = A(dy), ds = A(dx);
        ForImageRanges(g.Batch, (long)g.OutH * g.OutW * g.InC * g.KH * g.KW, (n0, n1) =>
        {
            fixed (float* gp = gs, dp = ds)
            {
                SimdPool.AvgPoolBackward(gp, dp, win, n0, n1 - n0);
            }
        });
    }

    // x: [B,H,W,C]  →  y: [B,H+top+bottom,W+left+right,C]
    public void ZeroPad(Storage x, Storage y, int batch, int h, int w, int c, int top, int bottom, int left, int right) =>
        Padding.Pad(S(x), batch, h, w, c, top, bottom, left, right, S(y));

    // dy: [B,H+top+bottom,W+left+right,C]  →  dx: [B,H,W,C]
    public void ZeroPadBackward(Storage dy, Storage dx, int batch, int h, int w, int c, int top, int bottom, int left, int right) =>
        Padding.Crop(S(dy), batch, h, w, c, top, bottom, left, right, S(dx));
}
