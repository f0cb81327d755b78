using System.Runtime.InteropServices;

namespace EdgeNet.Deploy.Install;

/// <summary>
/// The few POSIX calls an atomic install needs and .NET does not expose as such: <c>rename(2)</c> over a symbolic
/// link (File.Move looks through a link to a folder) and <c>fsync(2)</c> of a folder, so a rename survives a power cut.
/// </summary>
internal static partial class Posix
{
    /// <summary>Renames <paramref name="from"/> over <paramref name="to"/> in one step (both in one file system).</summary>
    public static void Rename(string from, string to)
    {
        if (rename(from, to) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"rename {from} -> {to} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    /// <summary>Flushes <paramref name="folder"/>'s entries (the renames and creations in it) to disk.</summary>
    public static void SyncFolder(string folder)
    {
        int fd = open(folder, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"open {folder} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }

        try
        {
            if (fsync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new IOException($"fsync {folder} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> so that a reader sees the old file or the new one, never a mix: a temporary file, fsync, rename, fsync of the folder.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        string temp = path + ".new";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        Rename(temp, path);
        SyncFolder(folder);
    }

    /// <summary>Points the link <paramref name="link"/> at <paramref name="target"/> in one step: a new link beside it renamed over it.</summary>
    public static void SwitchLink(string link, string target)
    {
        string temp = link + ".new";
        if (File.Exists(temp) || Directory.Exists(temp) || new FileInfo(temp).LinkTarget is not null)
        {
            File.Delete(temp);
        }

        File.CreateSymbolicLink(temp, target);
        Rename(temp, link);
        SyncFolder(Path.GetDirectoryName(Path.GetFullPath(link))!);
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string from, string to);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);
}
