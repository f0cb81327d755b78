using System.Runtime.InteropServices;

namespace EdgeNet.Formats.Enb;

/// <summary>
/// Crash-safe file replacement: write a temp file beside the target, flush it to the disk,
/// rename it over the target, then flush the folder entry. A crash or power cut leaves either
/// the old file or the new one.
/// </summary>
internal static partial class AtomicFile
{
    private static long s_writes;

    public static void Write(string path, Action<Stream> write, Func<Stream, Stream>? wrap = null)
    {
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"{path}: the folder '{dir}' does not exist; create it first");
        }

        // Unique per process and call (CreateNew refuses a clash); no cryptographic RNG, which on NativeAOT would
        // need OpenSSL's libssl on the board just to name a temp file.
        string tmp = Path.Combine(dir, FormattableString.Invariant($".{Path.GetFileName(full)}.tmp-{Environment.ProcessId:x}-{Interlocked.Increment(ref s_writes):x}-{Random.Shared.Next():x}"));
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Stream s = wrap?.Invoke(fs) ?? fs;
                write(s);
                s.Flush();
                fs.Flush(flushToDisk: true);
            }

            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }

        SyncDirectory(dir);
    }

    private static void TryDelete(string tmp)
    {
        try
        {
            File.Delete(tmp);
        }
        catch (IOException)
        {
            // Leave it: the next write uses another name and the target is untouched.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>fsync the folder so a rename in it survives a power cut (POSIX; no-op elsewhere; best effort).</summary>
    internal static void SyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        int fd = Open(dir, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return;
        }

        _ = Fsync(fd);
        _ = Close(fd);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
