using EdgeNet.Rig.CartPole;
using EdgeNet.Rig.Config;
using EdgeNet.Rig.Simulation;

namespace EdgeNet.Rig.Tests;

/// <summary><c>edgenet rig calibrate</c> on a simulated rig built differently from what rig.json says: it finds how it is built.</summary>
[TestClass]
public sealed class RigCalibrationTests
{
    private static RigConfig Built(int cartCpr, bool cartInvert, int poleCpr, bool poleInvert, bool motorSwapped)
    {
        var c = RigConfig.Default();
        (c.CartEncoder.CountsPerRevolution, c.CartEncoder.Invert, c.PoleEncoder.CountsPerRevolution, c.PoleEncoder.Invert) = (cartCpr, cartInvert, poleCpr, poleInvert);
        if (motorSwapped)
        {
            (c.Motor.In1, c.Motor.In2) = (c.Motor.In2, c.Motor.In1);
        }

        return c;
    }

    [TestMethod]
    public void Calibration_recovers_the_encoder_resolutions_and_directions_and_the_motor_direction_the_rig_was_built_with()
    {
        // Rigs built otherwise than rig.json (the defaults) says: a 250 PPR cart encoder (1000 counts/rev at x4), a 1024 PPR
        // pole encoder (4096), encoders counting backwards, the motor's wires the other way round — together and alone.
        var believed = RigConfig.Default();
        foreach (var built in new[] { Built(1000, true, 4096, true, true), Built(1000, false, 4096, false, true), Built(1200, true, 2400, false, false) })
        {
            string what = $"cart {built.CartEncoder.CountsPerRevolution}{(built.CartEncoder.Invert ? " inverted" : "")}, pole {built.PoleEncoder.CountsPerRevolution}{(built.PoleEncoder.Invert ? " inverted" : "")}, motor {(built.Motor.In1 == believed.Motor.In1 ? "as configured" : "swapped")}";
            using var sim = SimulatedRig.Open(believed, hardware: built, operatorResets: false);
            var hand = new SimulatedCalibrationOperator(sim.Plant);
            var result = RigCalibration.Run(sim.Rig, hand);
            string found = what + ":\n" + string.Join("\n", result.Findings);
            Assert.AreEqual(built.CartEncoder.CountsPerRevolution, result.Config.CartEncoder.CountsPerRevolution, found);
            Assert.AreEqual(built.CartEncoder.Invert, result.Config.CartEncoder.Invert, found);
            Assert.AreEqual(built.PoleEncoder.CountsPerRevolution, result.Config.PoleEncoder.CountsPerRevolution, found);
            Assert.AreEqual(built.PoleEncoder.Invert, result.Config.PoleEncoder.Invert, found);
            Assert.AreEqual((built.Motor.In1, built.Motor.In2), (result.Config.Motor.In1, result.Config.Motor.In2), found);
            Assert.AreEqual(believed.RailLength, result.Config.RailLength);
            StringAssert.Contains(hand.Instructions.Single(), "one full revolution");
            Assert.AreEqual(0, sim.Plant.State.X, 0.05, $"{what}: the cart ends near the centre");

            // What calibration wrote runs: the self-test passes when the program believes the calibrated file.
            using var again = SimulatedRig.Open(result.Config, hardware: built);
            var checks = RigSelfTest.Run(again.Rig);
            Assert.IsTrue(checks.All(c => c.Passed), what + "\n" + string.Join("\n", checks));
        }

        // Why the end switches are needed: a swapped motor with a backward cart encoder looks right to the self-test (the two
        // cancel); alone, either is caught.
        using (var both = SimulatedRig.Open(believed, hardware: Built(1200, true, 2400, false, true)))
        {
            Assert.IsTrue(RigSelfTest.Run(both.Rig).All(c => c.Passed));
        }

        using (var motorOnly = SimulatedRig.Open(believed, hardware: Built(1200, false, 2400, false, true)))
        {
            Assert.IsFalse(RigSelfTest.Run(motorOnly.Rig).All(c => c.Passed));
        }
    }

    [TestMethod]
    public void A_rig_built_as_configured_calibrates_to_the_same_file()
    {
        var config = RigConfig.Default();
        using var sim = SimulatedRig.Open(config, operatorResets: false);
        var result = RigCalibration.Run(sim.Rig, new SimulatedCalibrationOperator(sim.Plant));
        Assert.AreEqual(config.ToJson(), result.Config.ToJson(), string.Join("\n", result.Findings));
        StringAssert.Contains(result.Findings.Single(f => f.Name == "motor direction").Value, "as wired");
    }
}
