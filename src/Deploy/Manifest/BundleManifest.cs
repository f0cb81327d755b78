using System.Text.Json;

namespace EdgeNet.Deploy.Manifest;

/// <summary>
/// What a bundle holds and what it needs of a board (<c>manifest.json</c>, docs/deploy.md). The signature covers
/// this file's exact bytes; each file it lists is checked against its size and sha256, so the one signature
/// vouches for every byte installed (Mender's rule: sign the manifest, not each file).
/// </summary>
public sealed class BundleManifest
{
    /// <summary>The manifest format this build writes and reads.</summary>
    public const int CurrentFormat = 1;

    /// <summary>Manifest format; a newer one is refused by an older runtime with the fix (update the runtime first).</summary>
    public int Format { get; set; } = CurrentFormat;

    /// <summary>Release version: a folder name under <c>releases/</c> (letters, digits, <c>. _ + -</c>).</summary>
    public string Version { get; set; } = "";

    /// <summary>What built it: the source revision and the time (informational).</summary>
    public string Build { get; set; } = "";

    /// <summary>The bundle target (<c>rpi4</c>, <c>rpi5</c>, <c>jetson-orin</c>, <c>x64</c>).</summary>
    public string Target { get; set; } = "";

    /// <summary>Device-tree <c>compatible</c> strings of which the board must have one (empty: any board, the x64 target).</summary>
    public List<string> Compatible { get; set; } = [];

    /// <summary>Machine architecture as <c>uname -m</c> says it (<c>aarch64</c>, <c>x86_64</c>).</summary>
    public string Arch { get; set; } = "";

    /// <summary>Oldest glibc the binary runs on (<c>2.34</c>: built against Debian 12).</summary>
    public string MinGlibc { get; set; } = "";

    /// <summary>CPU features (<c>/proc/cpuinfo</c>'s names) the binary was compiled to need: <c>asimddp</c> for the SDOT build.</summary>
    public List<string> CpuFeatures { get; set; } = [];

    /// <summary>Device nodes the configuration opens (<c>/dev/gpiochip0</c>, <c>/sys/class/pwm/pwmchip0</c>, <c>/dev/video0</c>).</summary>
    public List<string> Devices { get; set; } = [];

    /// <summary>
    /// The self-test: <c>edgenet</c> command lines the installer runs from the new release's folder after the switch
    /// (<c>inspect --verify models/X.enb</c> for each blob, <c>rig selftest --config rig.json</c> with a rig); each
    /// must exit 0 within the time limit or the release is rolled back. Signed with the rest.
    /// </summary>
    public List<List<string>> SelfTest { get; set; } = [];

    /// <summary>Every file of the release, relative to its folder.</summary>
    public List<BundleFile> Files { get; set; } = [];

    /// <summary>The manifest as written into a bundle (UTF-8, indented, snake_case keys).</summary>
    public byte[] ToBytes()
    {
        return Json.Object(w =>
        {
            w.WriteNumber("format", Format);
            w.WriteString("version", Version);
            w.WriteString("build", Build);
            w.WriteString("target", Target);
            Json.WriteStrings(w, "compatible", Compatible);
            w.WriteString("arch", Arch);
            w.WriteString("min_glibc", MinGlibc);
            Json.WriteStrings(w, "cpu_features", CpuFeatures);
            Json.WriteStrings(w, "devices", Devices);
            w.WriteStartArray("self_test");
            foreach (var command in SelfTest)
            {
                w.WriteStartArray();
                command.ForEach(w.WriteStringValue);
                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteStartArray("files");
            foreach (var f in Files)
            {
                w.WriteStartObject();
                w.WriteString("path", f.Path);
                w.WriteNumber("size", f.Size);
                w.WriteString("sha256", f.Sha256);
                w.WriteBoolean("executable", f.Executable);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    /// <summary>Reads a manifest, naming <paramref name="source"/> and the field that is wrong.</summary>
    public static BundleManifest Parse(ReadOnlySpan<byte> json, string source)
    {
        const string Fix = "rebuild the bundle with edgenet-fw bundle";
        using var doc = Json.Parse(json, source, Fix);
        var o = doc.RootElement;
        var m = new BundleManifest
        {
            Format = (int)(Json.Number(o, "format", source, Fix) ?? 0),
            Version = Json.String(o, "version", source, Fix) ?? "",
            Build = Json.String(o, "build", source, Fix) ?? "",
            Target = Json.String(o, "target", source, Fix) ?? "",
            Compatible = Json.StringsOf(o, "compatible", source, Fix),
            Arch = Json.String(o, "arch", source, Fix) ?? "",
            MinGlibc = Json.String(o, "min_glibc", source, Fix) ?? "",
            CpuFeatures = Json.StringsOf(o, "cpu_features", source, Fix),
            Devices = Json.StringsOf(o, "devices", source, Fix),
        };
        foreach (var command in Json.Array(o, "self_test", source, Fix))
        {
            m.SelfTest.Add(Json.Strings(command, $"self_test[{m.SelfTest.Count}]", source, Fix));
        }

        foreach (var f in Json.Array(o, "files", source, Fix))
        {
            string field = $"files[{m.Files.Count}]";
            if (f.ValueKind != JsonValueKind.Object)
            {
                throw new DeployException(source, field, "is not an object", Fix);
            }

            m.Files.Add(new BundleFile
            {
                Path = Json.String(f, "path", source, Fix, field + ".path") ?? "",
                Size = Json.Number(f, "size", source, Fix, field + ".size") ?? -1,
                Sha256 = Json.String(f, "sha256", source, Fix, field + ".sha256") ?? "",
                Executable = Json.Bool(f, "executable", source, Fix, field + ".executable") ?? false,
            });
        }

        m.Validate(source);
        return m;
    }

    /// <summary>Checks the fields a board relies on before it touches anything.</summary>
    public void Validate(string source)
    {
        if (Format > CurrentFormat || Format < 1)
        {
            throw new DeployException(source, "format", $"is {Format}, this runtime reads format {CurrentFormat}",
                Format > CurrentFormat ? "install a newer edgenet on the board first (edgenet system install of a bundle with the newer runtime)" : "rebuild the bundle with edgenet-fw bundle");
        }

        if (!IsSafeVersion(Version))
        {
            throw new DeployException(source, "version", $"'{Version}' is not a release name", "use letters, digits and . _ + - (e.g. 1.2.0), not starting with a dot");
        }

        if (Arch is not ("aarch64" or "x86_64"))
        {
            throw new DeployException(source, "arch", $"is '{Arch}'", "rebuild for aarch64 or x86_64");
        }

        if (!System.Version.TryParse(MinGlibc, out _))
        {
            throw new DeployException(source, "min_glibc", $"'{MinGlibc}' is not a version", "rebuild the bundle with edgenet-fw bundle (2.34 for Debian 12 builds)");
        }

        if (Files.Count == 0)
        {
            throw new DeployException(source, "files", "is empty", "a bundle holds at least bin/edgenet");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in Files)
        {
            if (!BundleFile.IsSafePath(f.Path))
            {
                throw new DeployException(source, $"files[{f.Path}]", "is not a plain relative path", "paths stay inside the release (no '..', no leading '/')");
            }

            if (!seen.Add(f.Path))
            {
                throw new DeployException(source, $"files[{f.Path}]", "is listed twice", "rebuild the bundle");
            }

            if (f.Sha256.Length != 64 || !IsLowerHex(f.Sha256) || f.Size < 0)
            {
                throw new DeployException(source, $"files[{f.Path}].sha256", $"'{f.Sha256}' ({f.Size} bytes) is not a sha256 and size", "rebuild the bundle");
            }
        }

        foreach (var f in Files)
        {
            // A file that is also another file's folder ('a' and 'a/b') cannot be unpacked.
            for (int cut = f.Path.LastIndexOf('/'); cut > 0; cut = f.Path.LastIndexOf('/', cut - 1))
            {
                if (seen.Contains(f.Path[..cut]))
                {
                    throw new DeployException(source, $"files[{f.Path}]", $"lies inside '{f.Path[..cut]}', which is a file of the bundle too", "rebuild the bundle");
                }
            }
        }

        if (!seen.Contains(BundleLayout.Binary))
        {
            throw new DeployException(source, "files", $"has no {BundleLayout.Binary}", "a bundle carries the runtime it runs on");
        }
    }

    /// <summary>True for a name usable as a folder under <c>releases/</c>.</summary>
    public static bool IsSafeVersion(string version) =>
        version.Length is > 0 and <= 64 && version[0] != '.' && !version.AsSpan().ContainsAnyExcept(VersionCharacters);

    private static readonly System.Buffers.SearchValues<char> VersionCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-");

    private static bool IsLowerHex(string s) => !s.AsSpan().ContainsAnyExcept(HexDigits);

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");
}

/// <summary>One file of a release: where it goes, how big it is, its sha256, whether it is executable.</summary>
public sealed class BundleFile
{
    /// <summary>Path inside the release folder, '/'-separated.</summary>
    public string Path { get; set; } = "";

    /// <summary>Size in bytes.</summary>
    public long Size { get; set; }

    /// <summary>SHA-256 of the contents, lower-case hex.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>Executable (mode 0755, else 0644).</summary>
    public bool Executable { get; set; }

    internal static bool IsSafePath(string path) =>
        path.Length > 0 && path[0] != '/' && !path.Contains('\\', StringComparison.Ordinal) && !path.Contains('\0', StringComparison.Ordinal)
        && Array.TrueForAll(path.Split('/'), part => part.Length > 0 && part != "." && part != "..");
}
