using System.Security.Cryptography;

namespace EdgeNet.Deploy.Manifest;

/// <summary>
/// The bundle's trust: ECDSA over NIST P-256 with SHA-256 (.NET's <see cref="ECDsa"/>, OpenSSL underneath on
/// Linux), the signature DER-encoded as OpenSSL writes it (<c>openssl dgst -sha256 -verify pub.pem -signature
/// manifest.sig manifest.json</c> checks it too). No home-made cryptography: only key handling and file names here.
/// </summary>
public static class ManifestSignature
{
    /// <summary>Makes a key pair: the private key as PKCS#8 PEM (kept on the host), the public key as SubjectPublicKeyInfo PEM (the board's keyring).</summary>
    public static (string PrivatePem, string PublicPem) CreateKeyPair()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (key.ExportPkcs8PrivateKeyPem(), key.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>Signs <paramref name="manifest"/>'s bytes with the PKCS#8 PEM private key in <paramref name="privateKeyPath"/>.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> manifest, string privateKeyPath)
    {
        using var key = LoadPrivate(privateKeyPath);
        return key.SignData(manifest, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    private static ECDsa LoadPrivate(string path)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeployException(path, "signing key", $"cannot be read ({e.Message})", "make one with edgenet-fw keys --out DIR and pass DIR/bundle-signing.key", e);
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new DeployException(path, "signing key", $"is not an EC private key in PEM ({e.Message})", "make one with edgenet-fw keys --out DIR", e);
        }

        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new DeployException(path, "signing key", $"is a {key.KeySize}-bit key, bundles are signed with P-256", "make one with edgenet-fw keys --out DIR");
        }

        return key;
    }
}

/// <summary>
/// The public keys a board trusts (<c>/etc/edgenet/keyring.pem</c>: one or more <c>PUBLIC KEY</c> PEM blocks, so a
/// new key can be added before the old one is retired). A bundle is installed only when one of them verifies it.
/// </summary>
public sealed class Keyring : IDisposable
{
    private readonly List<ECDsa> _keys;

    private Keyring(string path, List<ECDsa> keys) => (Path, _keys) = (path, keys);

    /// <summary>The file the keys came from.</summary>
    public string Path { get; }

    /// <summary>How many keys it holds.</summary>
    public int Count => _keys.Count;

    /// <summary>Reads every <c>PUBLIC KEY</c> block of <paramref name="path"/>; a keyring with none is refused.</summary>
    public static Keyring Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeployException(path, "keyring", $"cannot be read ({e.Message})",
                "copy the bundle signer's public key there (edgenet-fw keys writes bundle-signing.pub) or pass --keyring FILE", e);
        }

        var keys = new List<ECDsa>();
        const string Begin = "-----BEGIN PUBLIC KEY-----", End = "-----END PUBLIC KEY-----";
        int at = 0;
        while ((at = text.IndexOf(Begin, at, StringComparison.Ordinal)) >= 0)
        {
            int end = text.IndexOf(End, at, StringComparison.Ordinal);
            if (end < 0)
            {
                break;
            }

            var key = ECDsa.Create();
            try
            {
                key.ImportFromPem(text.AsSpan(at, end + End.Length - at));
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                key.Dispose();
                keys.ForEach(k => k.Dispose());
                throw new DeployException(path, $"keyring key {keys.Count + 1}", $"is not an EC public key ({e.Message})", "keep only edgenet-fw's bundle-signing.pub blocks in the keyring", e);
            }

            keys.Add(key);
            at = end + End.Length;
        }

        if (keys.Count == 0)
        {
            throw new DeployException(path, "keyring", "holds no PUBLIC KEY block", "copy the bundle signer's public key there (edgenet-fw keys writes bundle-signing.pub)");
        }

        return new Keyring(path, keys);
    }

    /// <summary>True when one of the keys verifies <paramref name="signature"/> over <paramref name="manifest"/>.</summary>
    public bool Verifies(ReadOnlySpan<byte> manifest, ReadOnlySpan<byte> signature)
    {
        foreach (var key in _keys)
        {
            try
            {
                if (key.VerifyData(manifest, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
                {
                    return true;
                }
            }
            catch (CryptographicException)
            {
                // A signature that is not DER at all verifies under no key.
            }
        }

        return false;
    }

    /// <summary>Releases the keys.</summary>
    public void Dispose() => _keys.ForEach(k => k.Dispose());
}
