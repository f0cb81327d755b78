namespace EdgeNet.Kernels.Reference;

/// <summary>Zero padding of NHWC images (Keras ZeroPadding2D) and its adjoint, the crop (row copies; nothing to vectorize beyond the copy).</summary>
internal static class Padding
{
    // x: [B, H, W, C]  →  y: [B, H + top + bottom, W + left + right, C], zeros around
    public static void Pad(ReadOnlySpan<float> x, int batch, int h, int w, int c, int top, int bottom, int left, int right, Span<float> y)
    {
        int oh = h + top + bottom, ow = w + left + right;
        y[..(batch * oh * ow * c)].Clear();
        for (int n = 0; n < batch; n++)
        {
            for (int r = 0; r < h; r++)
            {
                x.Slice(((n * h) + r) * w * c, w * c).CopyTo(y[(((((n * oh) + r + top) * ow) + left) * c)..]);
            }
        }
    }

    // dy: [B, H + top + bottom, W + left + right, C]  →  dx: [B, H, W, C], the inner part (the gradient of Pad)
    public static void Crop(ReadOnlySpan<float> dy, int batch, int h, int w, int c, int top, int bottom, int left, int right, Span<float> dx)
    {
        int oh = h + top + bottom, ow = w + left + right;
        for (int n = 0; n < batch; n++)
        {
            for (int r = 0; r < h; r++)
            {
                dy.Slice((((((n * oh) + r + top) * ow) + left) * c), w * c).CopyTo(dx[(((n * h) + r) * w * c)..]);
            }
        }
    }
}
