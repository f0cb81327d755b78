using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using EdgeNet.Deploy.Manifest;

namespace EdgeNet.Deploy.Bundles;

/// <summary>A file to put into a bundle: its path in the release, where it is on the host, whether it is executable.</summary>
/// <param name="Path">Path inside the release folder ('/'-separated), e.g. <c>models/mlp-int8.enb</c>.</param>
/// <param name="Source">The file on the host.</param>
/// <param name="Executable">Installed with mode 0755.</param>
public sealed record BundleInput(string Path, string Source, bool Executable = false);

/// <summary>
/// Writes a bundle: a gzip'd tar whose first entry is <c>manifest.json</c> (every file's size and sha256), the second
/// its signature, then the files. Entries carry a fixed time and owner, so the same inputs give the same bundle
/// byte for byte. Written to a temporary name and renamed: a failed build leaves no half bundle.
/// </summary>
public static class BundleWriter
{
    private static readonly DateTimeOffset EntryTime = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Fills <paramref name="manifest"/>'s file list from <paramref name="inputs"/>, signs it and writes <paramref name="bundlePath"/>.</summary>
    public static BundleManifest Write(string bundlePath, BundleManifest manifest, IReadOnlyList<BundleInput> inputs, string privateKeyPath)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(inputs);
        manifest.Files = new List<BundleFile>(inputs.Count);
        foreach (var input in inputs)
        {
            manifest.Files.Add(Describe(input));
        }

        manifest.Validate(bundlePath);
        byte[] json = manifest.ToBytes();
        byte[] signature = ManifestSignature.Sign(json, privateKeyPath);
        string temp = bundlePath + ".partial";
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
            using (var gzip = new GZipStream(file, CompressionLevel.SmallestSize))
            using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar))
            {
                Add(tar, BundleLayout.ManifestName, new MemoryStream(json), executable: false);
                Add(tar, BundleLayout.SignatureName, new MemoryStream(signature), executable: false);
                foreach (var input in inputs)
                {
                    using var source = File.OpenRead(input.Source);
                    Add(tar, input.Path, source, input.Executable);
                }
            }

            File.Move(temp, bundlePath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        return manifest;
    }

    private static BundleFile Describe(BundleInput input)
    {
        if (!BundleFile.IsSafePath(input.Path))
        {
            throw new DeployException(input.Source, "bundle path", $"'{input.Path}' is not a plain relative path", "name files inside the release (no '..', no leading '/')");
        }

        try
        {
            using var stream = File.OpenRead(input.Source);
            return new BundleFile
            {
                Path = input.Path,
                Size = stream.Length,
                Sha256 = Convert.ToHexStringLower(SHA256.HashData(stream)),
                Executable = input.Executable,
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeployException(input.Source, input.Path, $"cannot be read ({e.Message})", "check the path given to edgenet-fw bundle", e);
        }
    }

    private static void Add(TarWriter tar, string name, Stream data, bool executable)
    {
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = data,
            ModificationTime = EntryTime,
            Mode = executable
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            Uid = 0,
            Gid = 0,
            UserName = "root",
            GroupName = "root",
        };
        tar.WriteEntry(entry);
    }
}
