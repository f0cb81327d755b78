namespace EdgeNet.Formats.Contract;

/// <summary>
/// The window of a conv2d or max_pool2d over one NHWC image, by the Keras padding rules: 'valid'
/// has no padding and needs the input at least as large as the window; 'same' gives
/// ceil(in / stride) outputs and pads (window − 1 − overhang) split with the smaller half at the
/// top/left. The trainer's backends, the reference interpreter, the ONNX exporter and the runtime's
/// kernels all take their geometry from here.
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

    /// <summary>The geometry; throws <see cref="ArgumentException"/> with <see cref="Problem"/>'s text when the window cannot fit.</summary>
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
