using EdgeNet.Rig.CartPole;

namespace EdgeNet.Rig.Simulation;

/// <summary>The hand at the simulated rig during calibration: turns the pole one revolution towards +x (theta growing), in 5° steps.</summary>
/// <param name="plant">The simulated cart-pole.</param>
public sealed class SimulatedCalibrationOperator(SimulatedCartPole plant) : ICalibrationOperator
{
    /// <summary>What it was asked to do.</summary>
    public List<string> Instructions { get; } = [];

    /// <inheritdoc/>
    public void TurnPoleOneRevolution(string instruction)
    {
        Instructions.Add(instruction);
        var start = plant.State;
        for (int k = 1; k <= 72; k++)
        {
            plant.Place(start with { Theta = start.Theta + (k * 2 * Math.PI / 72), ThetaDot = 0 });
        }
    }
}
