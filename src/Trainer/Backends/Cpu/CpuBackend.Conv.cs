using System.Buffers;
using EdgeNet.Kernels.Reference;
using SimdConv = EdgeNet.Kernels.Simd.Conv2D;
using SimdPool = EdgeNet.Kernels.Simd.Pool;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>Convolution (im2col + blocked GEMM) and max pooling from EdgeNet.Kernels; NHWC input, HWIO kernels.</summary>
internal sealed partial class CpuBackend
{
    /// <summary>Upper bound of one im2col chunk (floats): images are processed in groups that fit.</summary>
    private const int ColsBudget = 1 << 20;

    private static Window W(in Conv2DGeometry g) => new(g.InH, g.InW, g.InC, g.KH, g.KW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.OutH, g.OutW);

    /// <summary>Rents the im2col scratch for as many images as fit the budget (at least one).</summary>
    private static float[] RentCols(in Conv2DGeometry g) =>
        ArrayPool<float>.Shared.Rent((int)SimdConv.ColsLength(W(g), (int)Math.Clamp(ColsBudget / Math.Max(1, SimdConv.ColsLength(W(g), 1)), 1, g.Batch)));

    // x: [B,H,W,C]  w: [KH,KW,C,F]  →  y: [B,OH,OW,F]
    public void Conv2DForward(in Conv2DGeometry g, Storage x, Storage w, Storage y)
    {
        float[] cols = RentCols(g);
        try
        {
            SimdConv.Forward(S(x), g.Batch, W(g), S(w), g.OutC, S(y), cols);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(cols);
        }
    }

    // dy: [B,OH,OW,F]  w: [KH,KW,C,F]  →  dx: [B,H,W,C]
    public void Conv2DBackwardData(in Conv2DGeometry g, Storage dy, Storage w, Storage dx)
    {
        float[] cols = RentCols(g);
        try
        {
            SimdConv.BackwardData(S(dy), g.Batch, W(g), S(w), g.OutC, S(dx), cols);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(cols);
        }
    }

    // x: [B,H,W,C]  dy: [B,OH,OW,F]  →  dw: [KH,KW,C,F]
    public void Conv2DBackwardFilter(in Conv2DGeometry g, Storage x, Storage dy, Storage dw)
    {
        float[] cols = RentCols(g);
        try
        {
            SimdConv.BackwardFilter(S(x), S(dy), g.Batch, W(g), g.OutC, S(dw), cols);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(cols);
        }
    }

    // x: [B,H,W,C]  →  y: [B,OH,OW,C]; windows clipped to the image (padding never wins); images in parallel
    public unsafe void MaxPoolForward(in Conv2DGeometry g, Storage x, Storage y)
    {
        var win = W(g);
        float[] xs = A(x), ys = A(y);
        ForImages(g.Batch, (long)g.OutH * g.OutW * g.InC * g.KH * g.KW, b =>
        {
            fixed (float* xp = xs, yp = ys)
            {
                SimdPool.MaxPool(xp + ((long)b * win.InH * win.InW * win.InC), 1, win, yp + ((long)b * win.OutH * win.OutW * win.InC));
            }
        });
    }

    // x: [B,H,W,C]  y, dy: [B,OH,OW,C]  →  dx: [B,H,W,C]; each dy to the first tap equal to the max (as TensorFlow)
    public void MaxPoolBackward(in Conv2DGeometry g, Storage x, Storage y, Storage dy, Storage dx)
    {
        var win = W(g);
        float[] xs = A(x), ys = A(y), gs = A(dy), ds = A(dx);
        ForImages(g.Batch, (long)g.OutH * g.OutW * g.InC * g.KH * g.KW, b => SimdPool.MaxPoolBackward(xs, ys, gs, ds, win, b, 1));
    }

    /// <summary>Runs <paramref name="body"/> for each image, in parallel when there is enough work.</summary>
    private static void ForImages(int count, long workPerImage, Action<int> body) =>
        ForImageRanges(count, workPerImage, (n0, n1) =>
        {
            for (int b = n0; b < n1; b++)
            {
                body(b);
            }
        });

    /// <summary>How many threads share <paramref name="count"/> items of <paramref name="workPerItem"/> each (1 when too little work).</summary>
    private static int Parts(int count, long workPerItem) =>
        count > 1 && workPerItem * count > 1 << 16 ? Math.Min(count, EdgeNet.Kernels.Simd.Gemm.MaxThreads) : 1;

    /// <summary>Runs <paramref name="body"/> over contiguous image ranges, one per thread when there is enough work.</summary>
    private static void ForImageRanges(int count, long workPerImage, Action<int, int> body)
    {
        int parts = Parts(count, workPerImage);
        if (parts == 1)
        {
            body(0, count);
            return;
        }

        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p => body(count * p / parts, count * (p + 1) / parts));
    }
}
