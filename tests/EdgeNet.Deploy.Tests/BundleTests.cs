using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using EdgeNet.Deploy.Manifest;

namespace EdgeNet.Deploy.Tests;

/// <summary>Bundles: what they list, who signed them, and every way a bundle that was tampered with is refused.</summary>
[TestClass]
public sealed class BundleTests
{
    private static (int Code, string Out) Tool(string program, string workDir, params string[] args)
    {
        var (code, output, err) = DeployWorld.Run(program, workDir, null, args);
        return (code, output + err);
    }

    [TestMethod]
    public void The_manifest_lists_each_file_with_sha256sums_value_and_openssl_verifies_the_signature()
    {
        using var w = DeployWorld.Create();
        string bundle = w.Bundle(DeployTarget.X64, "1.0.0");
        string x = Path.Combine(w.Dir, "x");
        Directory.CreateDirectory(x);
        var (code, output) = Tool("tar", x, "-xzf", bundle);
        Assert.AreEqual(0, code, output);
        // Independent checks: coreutils' sha256sum over what tar unpacked, OpenSSL over the signature.
        var manifest = BundleManifest.Parse(File.ReadAllBytes(Path.Combine(x, "manifest.json")), "manifest.json");
        Assert.HasCount(5, manifest.Files, "binary, blob, two units, udev rules");
        foreach (var f in manifest.Files)
        {
            var (c, sum) = Tool("sha256sum", x, f.Path);
            Assert.AreEqual(0, c, sum);
            Assert.AreEqual(sum.Split(' ')[0], f.Sha256, f.Path);
            Assert.AreEqual(new FileInfo(Path.Combine(x, f.Path)).Length, f.Size, f.Path);
        }

        var (ok, said) = Tool("openssl", x, "dgst", "-sha256", "-verify", w.PublicKey, "-signature", "manifest.sig", "manifest.json");
        Assert.AreEqual(0, ok, said);
        StringAssert.Contains(said, "Verified OK");
        File.AppendAllText(Path.Combine(x, "manifest.json"), " ");
        (ok, said) = Tool("openssl", x, "dgst", "-sha256", "-verify", w.PublicKey, "-signature", "manifest.sig", "manifest.json");
        Assert.AreNotEqual(0, ok, "one more byte in the manifest: OpenSSL refuses the signature too");
    }

    [TestMethod]
    public void A_bundle_signed_by_another_key_is_refused_before_anything_is_read()
    {
        using var w = DeployWorld.Create();
        string otherKey = Path.Combine(w.Dir, "other.key");
        File.WriteAllText(otherKey, ManifestSignature.CreateKeyPair().PrivatePem);
        string bundle = w.Bundle(DeployTarget.X64, "1.0.0", key: otherKey);
        string root = w.Tree("board", TestBoard.ThisPc);
        var (code, _, err) = DeployWorld.Edgenet("system", "verify", bundle, "--root", root);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, $"{bundle}: signature: manifest.json is not signed by a key in {root}/etc/edgenet/keyring.pem");
    }

    [TestMethod]
    public void A_file_changed_after_signing_an_unsigned_extra_file_and_a_cut_bundle_are_refused()
    {
        using var w = DeployWorld.Create();
        string bundle = w.Bundle(DeployTarget.X64, "1.0.0");
        string root = w.Tree("board", TestBoard.ThisPc);

        string changed = Rewrite(bundle, Path.Combine(w.Dir, "changed.tar.gz"), (name, data) =>
        {
            if (name == "models/mlp.enb")
            {
                data[^5] ^= 0x01; // one bit of the blob's last weights
            }

            return data;
        });
        var (code, _, err) = DeployWorld.Edgenet("system", "verify", changed, "--root", root);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, $"{changed}: files[models/mlp.enb].sha256: the archive's file");
        StringAssert.Contains(err, "is not the one signed");

        string extra = Rewrite(bundle, Path.Combine(w.Dir, "extra.tar.gz"), (_, data) => data, ("bin/helper", Encoding.ASCII.GetBytes("#!/bin/sh\n")));
        (code, _, err) = DeployWorld.Edgenet("system", "verify", extra, "--root", root);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "files[bin/helper]: is in the archive but not in the signed manifest");

        string cut = Path.Combine(w.Dir, "cut.tar.gz");
        byte[] whole = File.ReadAllBytes(bundle);
        File.WriteAllBytes(cut, whole[..(whole.Length / 2)]);
        (code, _, err) = DeployWorld.Edgenet("system", "verify", cut, "--root", root);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, $"{cut}: ");
        Assert.IsTrue(err.Contains("copy the bundle again", StringComparison.Ordinal) || err.Contains("cut short", StringComparison.Ordinal), err);

        File.WriteAllText(Path.Combine(w.Dir, "text.tar.gz"), "not a bundle");
        (code, _, err) = DeployWorld.Edgenet("system", "verify", Path.Combine(w.Dir, "text.tar.gz"), "--root", root);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "give the .tar.gz that edgenet-fw bundle wrote");

        (code, var output, err) = DeployWorld.Edgenet("system", "verify", bundle, "--root", root);
        Assert.AreEqual(0, code, err);
        StringAssert.Contains(output, "verified: ");
    }

    [TestMethod]
    public void A_manifest_of_a_newer_format_asks_for_a_newer_runtime()
    {
        var m = new BundleManifest { Format = BundleManifest.CurrentFormat + 1, Version = "2.0.0", Arch = "aarch64", MinGlibc = "2.34" };
        var e = Assert.ThrowsExactly<DeployException>(() => BundleManifest.Parse(m.ToBytes(), "b.tar.gz"));
        Assert.AreEqual($"b.tar.gz: format: is {BundleManifest.CurrentFormat + 1}, this runtime reads format {BundleManifest.CurrentFormat}; install a newer edgenet on the board first (edgenet system install of a bundle with the newer runtime)", e.Message);
        m.Format = 1;
        m.Files = [new BundleFile { Path = "../etc/passwd", Size = 1, Sha256 = new string('0', 64) }];
        e = Assert.ThrowsExactly<DeployException>(() => BundleManifest.Parse(m.ToBytes(), "b.tar.gz"));
        StringAssert.Contains(e.Message, "files[../etc/passwd]: is not a plain relative path");
    }

    /// <summary>Copies a bundle entry by entry, letting <paramref name="change"/> alter file contents, and appends <paramref name="extra"/> files.</summary>
    internal static string Rewrite(string bundle, string to, Func<string, byte[], byte[]> change, params (string Name, byte[] Data)[] extra)
    {
        using (var input = new TarReader(new GZipStream(File.OpenRead(bundle), CompressionMode.Decompress)))
        using (var output = new TarWriter(new GZipStream(File.Create(to), CompressionLevel.Fastest), TarEntryFormat.Ustar))
        {
            TarEntry? e;
            while ((e = input.GetNextEntry()) is not null)
            {
                using var copy = new MemoryStream();
                e.DataStream!.CopyTo(copy);
                output.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, e.Name) { DataStream = new MemoryStream(change(e.Name, copy.ToArray())), Mode = e.Mode });
            }

            foreach (var (name, data) in extra)
            {
                output.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            }
        }

        return to;
    }
}
