using EdgeNet.Formats.Data;
using StbImageSharp;

namespace EdgeNet.Runtime.Input.Camera;

/// <summary>
/// Image files (PNG, JPEG, BMP, binary PGM) as grey frames, in the order given: <c>edgenet classify</c> and a
/// folder of photos. An unreadable file becomes a frame the preprocessor rejects with its reason (a 0x0 frame
/// named by the file), so one bad file does not stop the rest.
/// </summary>
public sealed class FolderFrameSource(IReadOnlyList<string> files) : IFrameSource
{
    private int _next;

    /// <summary>The number of image files and the first one's folder.</summary>
    public string Description => $"{files.Count} image file(s)";

    /// <summary>Why the last file could not be read (null when it was).</summary>
    public string? LastError { get; private set; }

    /// <summary>The next file as a frame (PNG/JPEG/BMP/PGM decoded to grey); false after the last one.</summary>
    public bool TryRead(out Frame frame)
    {
        if (_next >= files.Count)
        {
            frame = default;
            return false;
        }

        string path = files[_next++];
        LastError = null;
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            if (JpegCheck.LooksLikeJpeg(bytes) && JpegCheck.Problem(bytes) is { } problem)
            {
                throw new InvalidOperationException(problem);
            }

            var img = ImageResult.FromMemory(bytes, ColorComponents.Grey);
            frame = new Frame(img.Width, img.Height, FramePixelFormat.Gray8, img.Data.AsMemory(0, img.Width * img.Height), Label(path), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException)
        {
            LastError = $"not a readable PNG/JPEG/BMP/PGM image ({e.Message})";
            frame = new Frame(0, 0, FramePixelFormat.Gray8, ReadOnlyMemory<byte>.Empty, -1, path);
        }

        return true;
    }

    // A file in a folder named by a digit (the layout --collect writes) carries that label.
    private static int Label(string path) =>
        Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) is { Length: 1 } d && char.IsAsciiDigit(d[0]) ? d[0] - '0' : -1;

    /// <summary>Nothing to release: files are opened per frame.</summary>
    public void Dispose()
    {
    }
}
