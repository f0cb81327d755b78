namespace EdgeNet.Runtime.Input.Camera;

/// <summary>
/// Frames saved to a folder, replayed in name order: raw YUYV files (<c>NNNNN.yuyv</c>, as <c>edgenet camera --synthetic N
/// --save-frames DIR</c> writes them, of the size given) and JPEG files as MJPEG frames. Sub-folders are read too; a
/// frame's <see cref="Frame.Name"/> is its path, so a folder named after a class labels the frames in it.
/// </summary>
public sealed class ReplayFrameSource : IFrameSource
{
    private readonly string[] _files;
    private readonly int _width;
    private readonly int _height;
    private int _next;
    private byte[] _buffer = [];

    /// <summary>Replays <paramref name="folder"/>; raw frames are <paramref name="width"/>×<paramref name="height"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="ArgumentException">The folder holds no .yuyv or .jpg frames.</exception>
    public ReplayFrameSource(string folder, int width, int height)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{folder}: no such folder of frames");
        }

        var files = new List<string>();
        foreach (string f in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            if (Path.GetExtension(f).ToLowerInvariant() is ".yuyv" or ".jpg" or ".jpeg" or ".mjpg")
            {
                files.Add(f);
            }
        }

        files.Sort(StringComparer.Ordinal);
        _files = [.. files];
        if (_files.Length == 0)
        {
            throw new ArgumentException($"{folder}: no frames to replay (.yuyv raw frames or .jpg files)");
        }

        (_width, _height) = (width, height);
        Description = $"{_files.Length} frames replayed from {folder}";
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <summary>The next file as a frame (its bytes as they are); false after the last one.</summary>
    /// <exception cref="InvalidDataException">A raw frame's size does not match the size given (the message names the file).</exception>
    public bool TryRead(out Frame frame)
    {
        if (_next >= _files.Length)
        {
            frame = default;
            return false;
        }

        string path = _files[_next++];
        bool raw = Path.GetExtension(path).Equals(".yuyv", StringComparison.OrdinalIgnoreCase);
        long length = new FileInfo(path).Length;
        if (raw && length != (long)_width * _height * 2)
        {
            throw new InvalidDataException($"{path}: {length} bytes, not a {_width}x{_height} YUYV frame ({(long)_width * _height * 2} bytes); give the size it was saved at with --size");
        }

        if (_buffer.Length < length)
        {
            _buffer = new byte[length];
        }

        using (var f = File.OpenRead(path))
        {
            f.ReadExactly(_buffer, 0, (int)length);
        }

        frame = new Frame(raw ? _width : 0, raw ? _height : 0, raw ? FramePixelFormat.Yuyv : FramePixelFormat.Mjpeg, _buffer.AsMemory(0, (int)length), -1, path);
        return true;
    }

    /// <summary>Nothing to release: files are opened per frame.</summary>
    public void Dispose()
    {
    }
}
