using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using EdgeNet.Deploy.Manifest;

namespace EdgeNet.Deploy.Bundles;

/// <summary>
/// Reads a bundle in one pass: the manifest and its signature first (checked against the keyring before anything
/// else is read), then each file, hashed as it streams and checked against the manifest's size and sha256. A file
/// the manifest does not list, one listed twice, a link, a device, or a listed file missing refuses the bundle.
/// </summary>
public sealed class BundleReader : IDisposable
{
    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private readonly TarReader _tar;

    private BundleReader(string path, FileStream file, GZipStream gzip, TarReader tar, BundleManifest manifest, byte[] manifestBytes, byte[] signature)
    {
        (Path, _file, _gzip, _tar, Manifest, ManifestBytes, Signature) = (path, file, gzip, tar, manifest, manifestBytes, signature);
    }

    /// <summary>The bundle file.</summary>
    public string Path { get; }

    /// <summary>The verified manifest.</summary>
    public BundleManifest Manifest { get; }

    /// <summary>The manifest's exact bytes (what the signature covers; installed beside the files).</summary>
    public byte[] ManifestBytes { get; }

    /// <summary>The signature over <see cref="ManifestBytes"/>.</summary>
    public byte[] Signature { get; }

    /// <summary>Opens <paramref name="path"/> and checks the manifest's signature against <paramref name="keyring"/>.</summary>
    public static BundleReader Open(string path, Keyring keyring)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        FileStream file;
        try
        {
            file = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeployException(path, "bundle", $"cannot be opened ({e.Message})", "give the .tar.gz that edgenet-fw bundle wrote", e);
        }

        var gzip = new GZipStream(file, CompressionMode.Decompress);
        var tar = new TarReader(gzip);
        try
        {
            byte[] manifestBytes = ReadHead(path, tar, BundleLayout.ManifestName, 1 << 20);
            byte[] signature = ReadHead(path, tar, BundleLayout.SignatureName, 1 << 10);
            if (!keyring.Verifies(manifestBytes, signature))
            {
                throw new DeployException(path, "signature", $"manifest.json is not signed by a key in {keyring.Path}",
                    "install only bundles made with the board's signing key; a bundle changed after signing is refused here");
            }

            var manifest = BundleManifest.Parse(manifestBytes, path);
            return new BundleReader(path, file, gzip, tar, manifest, manifestBytes, signature);
        }
        catch
        {
            tar.Dispose();
            gzip.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Streams every file: into <paramref name="folder"/> when given (each fsync'd, modes from the manifest), else
    /// only hashed. Throws at the first file whose size or sha256 differs from the manifest.
    /// </summary>
    public void ReadFiles(string? folder)
    {
        var expected = new Dictionary<string, BundleFile>(StringComparer.Ordinal);
        foreach (var f in Manifest.Files)
        {
            expected[f.Path] = f;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        byte[] buffer = new byte[1 << 16];
        TarEntry? entry;
        while ((entry = Next()) is not null)
        {
            if (!expected.TryGetValue(entry.Name, out var listed))
            {
                throw new DeployException(Path, $"files[{entry.Name}]", "is in the archive but not in the signed manifest", "rebuild the bundle: nothing unsigned is installed");
            }

            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
            {
                throw new DeployException(Path, $"files[{entry.Name}]", $"is a {entry.EntryType}, not a plain file", "rebuild the bundle with edgenet-fw bundle");
            }

            if (entry.Length != listed.Size)
            {
                throw new DeployException(Path, $"files[{entry.Name}].size", $"the archive's file has {entry.Length} bytes, the signed manifest {listed.Size}", "the file was changed after signing or the copy is damaged: rebuild or copy the bundle again");
            }

            if (!seen.Add(entry.Name))
            {
                throw new DeployException(Path, $"files[{entry.Name}]", "is in the archive twice", "rebuild the bundle");
            }

            Copy(entry.DataStream, listed, folder, buffer);
        }

        var missing = new List<string>();
        foreach (var k in expected.Keys)
        {
            if (!seen.Contains(k))
            {
                missing.Add(k);
            }
        }

        if (missing.Count > 0)
        {
            throw new DeployException(Path, $"files[{missing[0]}]", $"is in the manifest but not in the archive ({missing.Count} missing)", "the bundle is cut short: copy it again");
        }
    }

    private TarEntry? Next()
    {
        try
        {
            return _tar.GetNextEntry(copyData: false);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DeployException(Path, "archive", $"is damaged ({e.Message})", "copy the bundle again", e);
        }
    }

    private void Copy(Stream data, BundleFile listed, string? folder, byte[] buffer)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        FileStream? output = null;
        long size = 0;
        try
        {
            if (folder is not null)
            {
                string target = System.IO.Path.Combine(folder, listed.Path);
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
                output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            }

            int n;
            while ((n = ReadSome(data, buffer, listed.Path)) > 0)
            {
                size += n;
                if (size > listed.Size)
                {
                    break; // more than signed: refused below without writing the rest
                }

                hash.AppendData(buffer, 0, n);
                output?.Write(buffer, 0, n);
            }

            string sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (size != listed.Size || sha != listed.Sha256)
            {
                throw new DeployException(Path, $"files[{listed.Path}].sha256",
                    $"the archive's file ({size} bytes, sha256 {sha[..12]}…) is not the one signed ({listed.Size} bytes, {listed.Sha256[..12]}…)",
                    "the file was changed after signing or the copy is damaged: rebuild or copy the bundle again");
            }

            if (output is not null)
            {
                output.Flush(flushToDisk: true);
            }

            if (output is not null && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(output.SafeFileHandle, listed.Executable
                    ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }
        }
        finally
        {
            output?.Dispose();
        }
    }

    private int ReadSome(Stream data, byte[] buffer, string name)
    {
        try
        {
            return data.Read(buffer, 0, buffer.Length);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new DeployException(Path, $"files[{name}]", $"cannot be read from the archive ({e.Message})", "the bundle is damaged: copy it again", e);
        }
    }

    private static byte[] ReadHead(string path, TarReader tar, string name, int limit)
    {
        TarEntry? entry;
        try
        {
            entry = tar.GetNextEntry(copyData: false);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DeployException(path, name, $"cannot be read: not a bundle or damaged ({e.Message})", "give the .tar.gz that edgenet-fw bundle wrote", e);
        }

        if (entry is null || entry.Name != name || entry.DataStream is null || entry.Length > limit)
        {
            throw new DeployException(path, name, $"is not where a bundle has it (entry {(entry is null ? "missing" : $"'{entry.Name}'")})",
                "a bundle starts with manifest.json and manifest.sig: build it with edgenet-fw bundle");
        }

        using var copy = new MemoryStream();
        try
        {
            entry.DataStream.CopyTo(copy);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new DeployException(path, name, $"is cut short ({e.Message})", "copy the bundle again", e);
        }

        return copy.ToArray();
    }

    /// <summary>Closes the archive.</summary>
    public void Dispose()
    {
        _tar.Dispose();
        _gzip.Dispose();
        _file.Dispose();
    }
}
