namespace EdgeNet.Rig.Devices.Encoders;

/// <summary>
/// Where an encoder's counts come from: GPIO edges decoded in userspace (<see cref="QuadratureDecoder"/>,
/// <see cref="RotaryEncoderSource"/>), the kernel's rotary-encoder driver through evdev
/// (<see cref="EvdevEncoderSource"/>), or a counter chip. Userspace edge callbacks lose edges at speed, so a
/// source reports what it could tell was lost.
/// </summary>
public interface IEncoderSource : IDisposable
{
    /// <summary>Signed counts since creation or the last <see cref="Zero"/> (safe to read from any thread).</summary>
    long Count { get; }

    /// <summary>Transitions the source saw that cannot follow the previous state (two pins changed: an edge was missed), or -1 when this source cannot tell.</summary>
    long IllegalTransitions { get; }

    /// <summary>Edges the source was told about that changed nothing (a repeated level: the opposite edge was missed), or -1 when it cannot tell.</summary>
    long RepeatedEdges { get; }

    /// <summary>One line: the source, its pins or device.</summary>
    string Description { get; }

    /// <summary>Makes the current position count 0.</summary>
    void Zero();
}
