using System.Device.Gpio;
using EdgeNet.Rig.CartPole;
using EdgeNet.Rig.Config;
using EdgeNet.Rig.Physics;

namespace EdgeNet.Rig.Simulation;

/// <summary>
/// A <see cref="GpioCartPoleRig"/> wired to a <see cref="SimulatedCartPole"/>: the real device classes over
/// the simulated chip, what <c>edgenet rig --simulated</c> runs and the tests use.
/// </summary>
public sealed class SimulatedRig : IDisposable
{
    private SimulatedRig(SimulatedCartPole plant, GpioController gpio, SimulatedRigClock clock, GpioCartPoleRig rig)
    {
        (Plant, Gpio, Clock, Rig) = (plant, gpio, clock, rig);
    }

    /// <summary>The simulated physics behind the GPIO lines.</summary>
    public SimulatedCartPole Plant { get; }

    /// <summary>The controller over the simulated GPIO chip.</summary>
    public GpioController Gpio { get; }

    /// <summary>The clock: virtual (the physics waits for the loop) or real time.</summary>
    public SimulatedRigClock Clock { get; }

    /// <summary>The rig, driven through GPIO exactly as on a board.</summary>
    public GpioCartPoleRig Rig { get; }

    /// <summary>
    /// Builds the simulated rig. <paramref name="realTime"/>: ticks wait for the wall clock (jitter is real);
    /// otherwise time jumps. <paramref name="operatorResets"/>: episodes start by placing the rig (a simulated
    /// reset); false: the rig homes as on hardware (set <see cref="SimulatedCartPole.HoldPole"/> to stand in for the hand).
    /// <paramref name="beforeOpen"/> may prepare the chip (a pin that fails to open, dropped edges). <paramref name="hardware"/>:
    /// the rig as it is really built, when <paramref name="config"/> (what the program believes) differs from it — encoder
    /// resolutions and directions, the motor's wires (what <c>edgenet rig calibrate</c> finds out); the same pins.
    /// </summary>
    public static SimulatedRig Open(RigConfig config, CartPoleOptions? physics = null, int seed = 0, bool realTime = false, bool operatorResets = true, Action<SimulatedGpioDriver>? beforeOpen = null, RigConfig? hardware = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (hardware is not null && !SamePins(config, hardware))
        {
            throw new RigConfigException("the simulated rig's hardware and the configuration must use the same pins (the motor's two direction pins may be swapped)");
        }

        var plant = new SimulatedCartPole(hardware ?? config, physics ?? CartPoleOptions.Default, seed);
        GpioController? gpio = null;
        try
        {
            beforeOpen?.Invoke(plant.Driver);
            gpio = new GpioController(plant.Driver);
            var clock = new SimulatedRigClock(plant, realTime);
            var rig = new GpioCartPoleRig(config, gpio, plant.Pwm, clock, operatorResets ? plant : null) { MaxSteps = (physics ?? CartPoleOptions.Default).MaxSteps };
            return new SimulatedRig(plant, gpio, clock, rig);
        }
        catch
        {
            gpio?.Dispose();
            plant.Dispose();
            throw;
        }
    }

    private static bool SamePins(RigConfig a, RigConfig b)
    {
        var pa = a.SignalPins();
        var pb = b.SignalPins();
        var sa = new HashSet<int>();
        var sb = new HashSet<int>();
        pa.ForEach(p => sa.Add(p.Pin));
        pb.ForEach(p => sb.Add(p.Pin));
        return sa.SetEquals(sb);
    }

    /// <summary>Stops the rig and the simulation.</summary>
    public void Dispose()
    {
        Rig.Dispose();
        Gpio.Dispose();
        Plant.Dispose();
    }
}
