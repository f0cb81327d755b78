namespace EdgeNet.Formats.Contract;

/// <summary>
/// The window of a conv2d, depthwise_conv2d or pooling over one NHWC image, by the Keras padding
/// rules: 'valid' has no padding and needs the input at least as large as the window; 'same' gives
/// ceil(in / stride) outputs and pads (window − 1 − overhang) split with the smaller half at the
/// top/left; or by explicit [top, left, bottom, right] pads (a folded ZeroPadding2D, an ONNX
/// <c>pads</c>): out = (in + top + bottom − window) / stride + 1. The trainer's backends, the
/// reference interpreter, the ONNX exporter and the runtime's kernels all take their geometry from here.
/// </summary>
internal readonly record struct WindowGeometry(int InH, int InW, int KH, int KW, int StrideH, int StrideW, int PadTop, int PadLeft, int OutH, int OutW)
{
    /// <summary>Padding below the last row ('same' only): what the window overhangs past the input.</summary>
    public int PadBottom => Math.Max(0, ((OutH - 1) * StrideH) + KH - InH - PadTop);

    public int PadRight => Math.Max(0, ((OutW - 1) * StrideW) + KW - InW - PadLeft);

    /// <summary>Null when the window fits, else the problem and the fix.</summary>
    public static string? Problem(int inH, int inW, int kh, int kw, int strideH, int strideW, bool same, string what = "window")
    {
        if (inH < 1 || inW < 1)
        {
            return $"input {inH}x{inW} must be at least 1x1";
        }

        if (kh < 1 || kw < 1 || strideH < 1 || strideW < 1)
        {
            return $"{what} {kh}x{kw} and strides {strideH}x{strideW} must each be >= 1";
        }

        return !same && (inH < kh || inW < kw)
            ? $"the input {inH}x{inW} is smaller than the {kh}x{kw} {what} with padding 'valid'; use padding 'same' or a smaller {what}"
            : null;
    }

    /// <summary>Null when the window fits the explicitly padded input, else the problem and the fix.</summary>
    public static string? Problem(int inH, int inW, int kh, int kw, int strideH, int strideW, int[] pads, string what = "window")
    {
        if (pads.Length != 4 || pads[0] < 0 || pads[1] < 0 || pads[2] < 0 || pads[3] < 0)
        {
            return $"pads [{string.Join(", ", pads)}] must be four values [top, left, bottom, right], each >= 0";
        }

        if (Problem(inH, inW, kh, kw, strideH, strideW, same: true, what) is { } p)
        {
            return p;
        }

        int h = inH + pads[0] + pads[2], w = inW + pads[1] + pads[3];
        if (h < kh || w < kw)
        {
            return $"the padded input {h}x{w} is smaller than the {kh}x{kw} {what}";
        }

        return pads[0] >= kh || pads[2] >= kh || pads[1] >= kw || pads[3] >= kw
            ? $"pads [{string.Join(", ", pads)}] reach a whole {kh}x{kw} {what} past the image (a window would see only padding); use smaller pads"
            : null;
    }

    /// <summary>The geometry over an explicitly padded input; throws <see cref="ArgumentException"/> with <see cref="Problem(int, int, int, int, int, int, int[], string)"/>'s text when it cannot fit.</summary>
    public static WindowGeometry Create(int inH, int inW, int kh, int kw, int strideH, int strideW, int[] pads, string what = "window")
    {
        if (Problem(inH, inW, kh, kw, strideH, strideW, pads, what) is { } problem)
        {
            throw new ArgumentException(problem);
        }

        return new(inH, inW, kh, kw, strideH, strideW, pads[0], pads[1],
            ((inH + pads[0] + pads[2] - kh) / strideH) + 1, ((inW + pads[1] + pads[3] - kw) / strideW) + 1);
    }

    /// <summary>The geometry; throws <see cref="ArgumentException"/> with <see cref="Problem(int, int, int, int, int, int, bool, string)"/>'s text when the window cannot fit.</summary>
    public static WindowGeometry Create(int inH, int inW, int kh, int kw, int strideH, int strideW, bool same, string what = "window")
    {
        if (Problem(inH, inW, kh, kw, strideH, strideW, same, what) is { } problem)
        {
            throw new ArgumentException(problem);
        }

        if (same)
        {
            int outH = (inH + strideH - 1) / strideH;
            int outW = (inW + strideW - 1) / strideW;
            int padTop = Math.Max(((outH - 1) * strideH) + kh - inH, 0) / 2;
            int padLeft = Math.Max(((outW - 1) * strideW) + kw - inW, 0) / 2;
            return new(inH, inW, kh, kw, strideH, strideW, padTop, padLeft, outH, outW);
        }

        return new(inH, inW, kh, kw, strideH, strideW, 0, 0, ((inH - kh) / strideH) + 1, ((inW - kw) / strideW) + 1);
    }
}
