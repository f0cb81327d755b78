namespace EdgeNet.Runtime.Input.Camera;

/// <summary>How a frame's bytes encode its pixels.</summary>
public enum FramePixelFormat
{
    /// <summary>One byte of luminance per pixel.</summary>
    Gray8,

    /// <summary>YUV 4:2:2 packed as Y0 U Y1 V (V4L2_PIX_FMT_YUYV): 2 bytes per pixel, the luminance every other byte.</summary>
    Yuyv,

    /// <summary>Motion JPEG: each frame one JPEG image (V4L2_PIX_FMT_MJPEG).</summary>
    Mjpeg,
}

/// <summary>
/// One camera frame: its size, format and bytes (a view of a buffer the source owns until the next frame).
/// <paramref name="Label"/> is the true digit where one is known (the synthetic camera, a labelled folder).
/// </summary>
public readonly record struct Frame(int Width, int Height, FramePixelFormat Format, ReadOnlyMemory<byte> Data, int Label = -1, string? Name = null)
{
    /// <summary>Bytes a raw (not JPEG) frame of this size must have.</summary>
    public int ExpectedBytes => Format switch
    {
        FramePixelFormat.Gray8 => Width * Height,
        FramePixelFormat.Yuyv => Width * Height * 2,
        _ => -1,
    };
}

/// <summary>Where frames come from: a V4L2 camera, a folder of images, the synthetic camera.</summary>
public interface IFrameSource : IDisposable
{
    /// <summary>What this source is (the device and format, the folder, the synthetic camera's seed).</summary>
    string Description { get; }

    /// <summary>The next frame, or false at the end (a folder read through, N synthetic frames given).</summary>
    bool TryRead(out Frame frame);
}
