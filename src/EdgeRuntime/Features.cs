using System.Diagnostics.CodeAnalysis;

namespace EdgeNet.Runtime;

/// <summary>
/// Feature switches the NativeAOT trimmer sees: a board that only runs inference publishes with
/// <c>-p:EdgeNetTraining=false</c> (<c>firmware-tools/publish.sh TARGET --inference-only</c>) and the
/// training code, its commands and what only they use are left out of the binary.
/// </summary>
internal static class Features
{
    /// <summary>Training on the board (<c>finetune</c>, <c>learn</c>, <c>bench --train</c>); on unless switched off at publish.</summary>
    [FeatureSwitchDefinition("EdgeNet.Runtime.Training.IsSupported")]
    public static bool Training => !AppContext.TryGetSwitch("EdgeNet.Runtime.Training.IsSupported", out bool on) || on;

    /// <summary>The cart-pole rig over GPIO (<c>edgenet rig</c>, System.Device.Gpio's drivers); off with <c>-p:EdgeNetRig=false</c> for a board without one (about 0.7 MB less).</summary>
    [FeatureSwitchDefinition("EdgeNet.Runtime.Rig.IsSupported")]
    public static bool Rig => !AppContext.TryGetSwitch("EdgeNet.Runtime.Rig.IsSupported", out bool on) || on;

    /// <summary>Digits from a camera (<c>edgenet camera</c>, <c>classify</c>: V4L2, the synthetic camera, JPEG/PNG writing); off with <c>-p:EdgeNetCamera=false</c>.</summary>
    [FeatureSwitchDefinition("EdgeNet.Runtime.Camera.IsSupported")]
    public static bool Camera => !AppContext.TryGetSwitch("EdgeNet.Runtime.Camera.IsSupported", out bool on) || on;

    /// <summary>Installing signed bundles on the board (<c>edgenet system</c>: OpenSSL's ECDSA, tar, the installer); off with <c>-p:EdgeNetSystem=false</c> for an image whose updates come another way.</summary>
    [FeatureSwitchDefinition("EdgeNet.Runtime.System.IsSupported")]
    public static bool System => !AppContext.TryGetSwitch("EdgeNet.Runtime.System.IsSupported", out bool on) || on;

    /// <summary>A board in a fleet (<c>edgenet fleet join</c>: MQTT through MQTTnet, TLS); off with <c>-p:EdgeNetFleet=false</c>. Needs the rig.</summary>
    [FeatureSwitchDefinition("EdgeNet.Runtime.Fleet.IsSupported")]
    public static bool Fleet => !AppContext.TryGetSwitch("EdgeNet.Runtime.Fleet.IsSupported", out bool on) || on;
}
