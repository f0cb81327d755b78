using Iot.Device.Media;

namespace EdgeNet.Runtime.Input.Camera;

/// <summary>
/// A USB or CSI camera through V4L2 (dotnet/iot's <see cref="VideoDevice"/>): continuous capture on a
/// background thread into a bounded queue that drops the oldest frame when the consumer falls behind, so
/// what is classified is always recent. YUYV or MJPEG at a size the device lists.
/// </summary>
public sealed class V4l2FrameSource : IFrameSource
{
    private readonly VideoDevice _device;
    private readonly Thread _capture;
    private readonly CancellationTokenSource _stop = new();
    private readonly Queue<byte[]> _queue = new();
    private readonly Stack<byte[]> _free = new();
    private readonly int _capacity;
    private readonly Lock _gate = new();
    private byte[]? _current;
    private string? _error;

    private V4l2FrameSource(VideoDevice device, string path, int width, int height, FramePixelFormat format, int capacity)
    {
        (_device, Width, Height, Format, _capacity) = (device, width, height, format, capacity);
        Description = $"V4L2 {path}: {width}x{height} {format}";
        _device.NewImageBufferReady += OnFrame;
        _capture = new Thread(Capture) { IsBackground = true, Name = "v4l2 capture" };
        _capture.Start();
    }

    /// <summary>The capture width the device agreed to [pixels].</summary>
    public int Width { get; }

    /// <summary>The capture height the device agreed to [pixels].</summary>
    public int Height { get; }

    /// <summary>The pixel format being captured (YUYV or MJPEG).</summary>
    public FramePixelFormat Format { get; }

    /// <summary>The device, its driver's card name, the size and the format.</summary>
    public string Description { get; }

    /// <summary>Frames dropped because the consumer was slower than the camera.</summary>
    public long Dropped { get; private set; }

    /// <summary>True where a V4L2 device node exists (<c>/dev/video*</c>).</summary>
    public static bool IsPresent(string path) => OperatingSystem.IsLinux() && File.Exists(path);

    /// <summary>The device's pixel formats and their sizes, one line each (what <c>edgenet camera --list</c> prints).</summary>
    public static IReadOnlyList<string> Describe(string path)
    {
        if (!IsPresent(path))
        {
            throw new IOException($"{path}: no such V4L2 device; list cameras with 'v4l2-ctl --list-devices'");
        }

        try
        {
            using var probe = VideoDevice.Create(new VideoConnectionSettings(BusId(path), (640, 480), VideoPixelFormat.YUYV));
            var lines = new List<string>();
            foreach (var f in probe.GetSupportedPixelFormats())
            {
                var sizes = new List<string>();
                foreach (var r in probe.GetPixelFormatResolutions(f))
                {
                    sizes.Add(r.MinWidth == r.MaxWidth ? $"{r.MaxWidth}x{r.MaxHeight}" : $"{r.MinWidth}x{r.MinHeight}..{r.MaxWidth}x{r.MaxHeight}");
                }

                lines.Add($"{f}: {string.Join(", ", sizes)}");
            }

            return lines;
        }
        catch (Exception e) when (e is NotSupportedException or TypeInitializationException)
        {
            throw NoMarshalling(path, e);
        }
    }

    private static IOException NoMarshalling(string path, Exception e) =>
        new($"{path}: this NativeAOT build lacks the marshalling data of a V4L2 structure ({(e.InnerException ?? e).Message}); add it to src/EdgeRuntime/V4l2.rd.xml, or run the JIT build (dotnet edgenet.dll camera ...)", e);

    /// <summary>Opens <paramref name="path"/> (<c>/dev/videoN</c>) for continuous capture; errors name the device and the fix.</summary>
    public static V4l2FrameSource Open(string path, int width, int height, FramePixelFormat format, int queue = 2)
    {
        if (!IsPresent(path))
        {
            throw new IOException($"{path}: no such V4L2 device; list cameras with 'v4l2-ctl --list-devices', or use --synthetic N");
        }

        if (format == FramePixelFormat.Gray8)
        {
            throw new ArgumentException("--format: a camera delivers yuyv or mjpeg");
        }

        var pixel = format == FramePixelFormat.Yuyv ? VideoPixelFormat.YUYV : VideoPixelFormat.MJPEG;
        VideoDevice device;
        try
        {
            device = VideoDevice.Create(new VideoConnectionSettings(BusId(path), ((uint)width, (uint)height), pixel));
            if (!new List<VideoPixelFormat>(device.GetSupportedPixelFormats()).Contains(pixel))
            {
                string has = string.Join(", ", device.GetSupportedPixelFormats());
                device.Dispose();
                throw new ArgumentException(has.Length == 0
                    ? $"{path} lists no pixel formats: is it a video capture device? (v4l2-ctl --list-devices)"
                    : $"{path} does not deliver {pixel}; it has {has}: choose one with --format");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new IOException($"{path}: cannot open the camera ({e.Message}); check that no other program uses it and that the user is in the 'video' group", e);
        }
        catch (Exception e) when (e is NotSupportedException or TypeInitializationException)
        {
            throw NoMarshalling(path, e);
        }

        return new V4l2FrameSource(device, path, width, height, format, Math.Max(1, queue));
    }

    private static int BusId(string path) =>
        int.TryParse(Path.GetFileName(path).Replace("video", "", StringComparison.Ordinal), out int n) ? n
        : throw new ArgumentException($"{path}: expected a /dev/videoN device path");

    /// <summary>Waits for the newest captured frame (older ones are dropped, not queued); false once capture has stopped.</summary>
    public bool TryRead(out Frame frame)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_queue.Count > 0)
                {
                    if (_current is not null)
                    {
                        _free.Push(_current);
                    }

                    _current = _queue.Dequeue();
                    int length = BitConverter.ToInt32(_current, _current.Length - 4);
                    frame = new Frame(Width, Height, Format, _current.AsMemory(0, length));
                    return true;
                }

                if (_error is not null || _stop.IsCancellationRequested)
                {
                    frame = default;
                    return false;
                }
            }

            Thread.Sleep(1);
        }
    }

    private void Capture()
    {
        try
        {
            _device.StartCaptureContinuous();
            _device.CaptureContinuous(_stop.Token);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            lock (_gate)
            {
                _error = e.Message;
            }
        }
        finally
        {
            _device.StopCaptureContinuous();
        }
    }

    // The driver's buffer is copied into a recycled one (its length in the last 4 bytes); a full queue drops its oldest frame.
    private void OnFrame(object sender, NewImageBufferReadyEventArgs e)
    {
        lock (_gate)
        {
            byte[] slot = _free.Count > 0 && _free.Peek().Length >= e.Length + 4 ? _free.Pop() : new byte[e.Length + 4];
            e.ImageBuffer.AsSpan(0, e.Length).CopyTo(slot);
            BitConverter.TryWriteBytes(slot.AsSpan(slot.Length - 4), e.Length);
            if (_queue.Count >= _capacity)
            {
                _free.Push(_queue.Dequeue());
                Dropped++;
            }

            _queue.Enqueue(slot);
        }
    }

    /// <summary>Stops the capture thread and closes the device.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _capture.Join(TimeSpan.FromSeconds(2));
        _device.NewImageBufferReady -= OnFrame;
        _device.Dispose();
        _stop.Dispose();
    }
}
