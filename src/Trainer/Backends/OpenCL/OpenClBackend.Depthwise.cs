namespace EdgeNet.Trainer.Backends.OpenCL;

/// <summary>Depthwise convolution, average pooling, batch normalization and zero padding: launches of Kernels.cl, shapes as in <see cref="IBackend"/>.</summary>
internal sealed partial class OpenClBackend
{
    /// <summary>Row blocks a per-channel reduction over <paramref name="rows"/> is split into (enough work-items for a device, a few hundred rows each).</summary>
    private static int Blocks(int rows) => Math.Clamp(rows / 256, 1, 256);

    public void DepthwiseForward(in Conv2DGeometry g, int multiplier, Storage x, Storage w, Storage y)
    {
        if (multiplier == 1 && g.InC % 8 == 0)
        {
            Launch("dw_fwd8", g.OutputSize / 8, x, w, y, Geometry(g));
        }
        else
        {
            Launch("dw_fwd", g.OutputSize, x, w, y, Geometry(g), multiplier);
        }
    }

    public void DepthwiseBackwardData(in Conv2DGeometry g, int multiplier, Storage dy, Storage w, Storage dx) =>
        Launch("dw_bwd_data", g.InputSize, dy, w, dx, Geometry(g), multiplier);

    public void DepthwiseBackwardFilter(in Conv2DGeometry g, int multiplier, Storage x, Storage dy, Storage dw)
    {
        // Partial sums over image blocks, then one reduction over the blocks.
        int k = g.KH * g.KW * g.OutC, p = Math.Clamp(g.Batch, 1, Math.Max(1, 16384 / Math.Max(1, k)));
        var partial = Allocate(p * k);
        try
        {
            Launch("dw_bwd_filter", p * k, x, dy, partial, Geometry(g), multiplier, p);
            ReduceSum(partial, dw, 1, p, k, mean: false);
        }
        finally
        {
            partial.Release();
        }
    }

    public void AvgPoolForward(in Conv2DGeometry g, Storage x, Storage y) => Launch("avgpool_fwd", g.OutputSize, x, y, Geometry(g));

    public void AvgPoolBackward(in Conv2DGeometry g, Storage dy, Storage dx) => Launch("avgpool_bwd", g.InputSize, dy, dx, Geometry(g));

    public void BatchNormMoments(Storage x, int rows, int c, Storage mean, Storage variance)
    {
        int p = Blocks(rows);
        var ps = Allocate(p * c);
        var pq = Allocate(p * c);
        try
        {
            Launch("bn_partial", p * c, x, ps, pq, rows, c, p);
            Launch("bn_moments", c, ps, pq, x, mean, variance, rows, c, p);
        }
        finally
        {
            ps.Release();
            pq.Release();
        }
    }

    public void BatchNormForward(Storage x, int rows, int c, Storage mean, Storage variance, Storage gamma, Storage beta, float eps, Storage y) =>
        Launch("bn_fwd", rows * c, x, mean, variance, gamma, beta, y, c, eps);

    public void BatchNormBackward(Storage x, Storage dy, int rows, int c, Storage mean, Storage variance, Storage gamma, float eps, bool training, Storage dx, Storage dgamma, Storage dbeta)
    {
        int p = Blocks(rows);
        var ps = Allocate(p * c);
        var pq = Allocate(p * c);
        var k = Allocate(3 * c);
        try
        {
            Launch("bn_bwd_partial", p * c, x, dy, ps, pq, rows, c, p);
            Launch("bn_bwd_coef", c, ps, pq, mean, variance, gamma, dgamma, dbeta, k, rows, c, p, eps, training ? 1 : 0);
            Launch("bn_bwd_apply", rows * c, x, dy, k, dx, c);
        }
        finally
        {
            ps.Release();
            pq.Release();
            k.Release();
        }
    }

    public void MovingAverage(Storage moving, Storage batch, int n, float momentum, float batchScale) => Launch("moving_avg", n, moving, batch, momentum, batchScale);

    public void ZeroPad(Storage x, Storage y, int batch, int h, int w, int c, int top, int bottom, int left, int right)
    {
        int hp = h + top + bottom, wp = w + left + right;
        Launch("zero_pad", batch * hp * wp * c, x, y, h, w, c, top, left, hp, wp);
    }

    public void ZeroPadBackward(Storage dy, Storage dx, int batch, int h, int w, int c, int top, int bottom, int left, int right) =>
        Launch("zero_pad_bwd", batch * h * w * c, dy, dx, h, w, c, top, left, h + top + bottom, w + left + right);
}
