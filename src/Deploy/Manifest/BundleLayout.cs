namespace EdgeNet.Deploy.Manifest;

/// <summary>
/// Where things are in a bundle and in a release folder (the same relative paths): the archive starts with
/// <see cref="ManifestName"/> and <see cref="SignatureName"/>, then the files the manifest lists.
/// </summary>
public static class BundleLayout
{
    /// <summary>The manifest, the first entry of a bundle.</summary>
    public const string ManifestName = "manifest.json";

    /// <summary>The manifest's detached signature (ECDSA P-256 over SHA-256, DER), the second entry.</summary>
    public const string SignatureName = "manifest.sig";

    /// <summary>The runtime binary.</summary>
    public const string Binary = "bin/edgenet";

    /// <summary>The model blobs' folder.</summary>
    public const string Models = "models/";

    /// <summary>The rig's configuration, when the bundle drives a rig.</summary>
    public const string RigConfig = "rig.json";

    /// <summary>The service's systemd unit.</summary>
    public const string ServiceUnit = "service/edgenet.service";

    /// <summary>The unit <c>OnFailure=</c> starts: the rollback.</summary>
    public const string RollbackUnit = "service/edgenet-rollback.service";

    /// <summary>udev rules giving the service's group the GPIO, PWM and video nodes.</summary>
    public const string UdevRules = "service/99-edgenet.rules";
}
