using System.Runtime.InteropServices;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Deploy.Install;

/// <summary>
/// The POSIX call an atomic switch needs and .NET does not expose as such: <c>rename(2)</c> over a symbolic link
/// (File.Move looks through a link to a folder). Files are replaced with Formats' <see cref="AtomicFile"/>.
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
        AtomicFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(link))!);
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string from, string to);
}
