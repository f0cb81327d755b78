using EdgeNet.Rig.Config;
using EdgeNet.Rig.Control;
using EdgeNet.Rig.Environments;
using EdgeNet.Rig.Physics;
using EdgeNet.Rig.Simulation;

namespace EdgeNet.Rig.Tests;

/// <summary>The rig over GPIO on the simulated chip: the state it reads, its safety stops, homing.</summary>
[TestClass]
public sealed class GpioCartPoleRigTests
{
    [TestMethod]
    public void Rig_follows_cartpole_v1_through_motor_pins_and_encoder_edges()
    {
        // The same start and actions in CartPoleEnv (exact physics) and on the GPIO rig: the rig's observation
        // is the true state within one encoder count, its velocities the finite differences of those counts.
        var config = RigConfig.Default();
        using var sim = SimulatedRig.Open(config);
        var env = new CartPoleEnv();
        sim.Rig.Reset(7);
        var start = sim.Plant.State;
        env.Reset(start);
        double mPerCount = 0.1 / 1200, radPerCount = 2 * Math.PI / 2400;
        int[] actions = [1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
        double prevX = Math.Round(start.X / mPerCount) * mPerCount, prevTheta = Math.Round(start.Theta / radPerCount) * radPerCount;
        foreach (int a in actions)
        {
            var r = sim.Rig.Step(a);
            env.Step(a);
            Assert.IsFalse(r.Done);
            var s = env.State;
            Assert.AreEqual(s.X, sim.Plant.State.X, 1e-12, "the DCMotor's pins gave the push CartPole-v1 applies");
            var o = sim.Rig.Observation;
            Assert.AreEqual(s.X, o[0], mPerCount, "x within one count");
            Assert.AreEqual(s.Theta, o[2], radPerCount, "theta within one count");
            double x = Math.Round(s.X / mPerCount) * mPerCount, theta = Math.Round(s.Theta / radPerCount) * radPerCount;
            Assert.AreEqual((x - prevX) / 0.02, o[1], 1e-4, "x_dot: the difference of counts over the tick");
            Assert.AreEqual((theta - prevTheta) / 0.02, o[3], 1e-4);
            (prevX, prevTheta) = (x, theta);
        }

        Assert.AreEqual(actions.Length, sim.Rig.Stats.Ticks);
    }

    [TestMethod]
    public void Angle_limit_stops_the_motor_in_the_tick_it_is_seen()
    {
        using var sim = SimulatedRig.Open(RigConfig.Default());
        sim.Rig.Reset(1);
        StepResult r;
        int ticks = 0;
        do
        {
            r = sim.Rig.Step(1);
            ticks++;
        }
        while (!r.Done);
        Assert.IsTrue(r.Terminated);
        StringAssert.StartsWith(sim.Rig.TerminationReason, "angle limit");
        Assert.AreEqual(0.0, sim.Plant.CommandedForce(), "the motor is off when the step that saw the limit returns");
        Assert.IsLessThan(40, ticks);
        Assert.IsGreaterThan(12 * Math.PI / 180, Math.Abs(sim.Plant.State.Theta));
    }

    [TestMethod]
    public void Limit_switch_trips_the_motor_from_its_edge_before_the_tick_ends()
    {
        var config = RigConfig.Default();
        config.XLimit = 2.55; // the end switch at 2.6 m acts before the travel limit
        using var sim = SimulatedRig.Open(config);
        sim.Rig.Reset(1);
        sim.Plant.Place(new CartPoleState(2.59, 1.0, 0, 0));
        var r = sim.Rig.Step(1);
        Assert.IsTrue(r.Terminated);
        Assert.AreEqual("right limit switch pressed", sim.Rig.TerminationReason);
        Assert.IsTrue(sim.Rig.Motor.IsTripped);
        Assert.AreEqual(0.0, sim.Plant.CommandedForce());
        sim.Rig.Reset(2); // the simulator's operator puts the cart back: the switch is released, the motor rearmed
        Assert.IsFalse(sim.Rig.Motor.IsTripped);
        sim.Rig.Apply(1);
        Assert.AreEqual(10.0, sim.Plant.CommandedForce(), 1e-12);
    }

    [TestMethod]
    public void Emergency_stop_cuts_the_motor_at_once_and_blocks_the_next_episode_until_released()
    {
        using var sim = SimulatedRig.Open(RigConfig.Default());
        sim.Rig.Reset(3);
        sim.Rig.Step(1);
        sim.Rig.Apply(1);
        Assert.AreEqual(10.0, sim.Plant.CommandedForce(), 1e-12);
        sim.Plant.EmergencyStop(true);
        Assert.AreEqual(0.0, sim.Plant.CommandedForce(), "the e-stop's edge callback stopped the motor, not the next tick");
        var r = sim.Rig.Advance();
        Assert.IsTrue(r.Terminated);
        Assert.AreEqual("emergency stop pressed", sim.Rig.TerminationReason);
        var ex = Assert.ThrowsExactly<RigSafetyException>(() => sim.Rig.Reset(4));
        StringAssert.Contains(ex.Message, "release it");
        sim.Plant.EmergencyStop(false);
        sim.Rig.Reset(4);
        sim.Rig.Apply(0);
        Assert.AreEqual(-10.0, sim.Plant.CommandedForce(), 1e-12);
    }

    [TestMethod]
    public void Watchdog_stops_the_motor_when_the_loop_stalls_three_ticks()
    {
        using var sim = SimulatedRig.Open(RigConfig.Default(), realTime: true);
        sim.Rig.Reset(5);
        sim.Rig.Step(1);
        sim.Rig.Apply(1);
        Assert.AreEqual(10.0, sim.Plant.CommandedForce(), 1e-12);
        Thread.Sleep(200); // the loop "hangs" for 10 ticks
        Assert.AreEqual(0.0, sim.Plant.CommandedForce(), "the watchdog stopped the motor");
        StringAssert.StartsWith(sim.Rig.Motor.TripReason, "watchdog: the control loop was silent for");
        Assert.AreEqual(1, sim.Rig.Watchdog.Trips);
        var r = sim.Rig.Advance();
        Assert.IsTrue(r.Terminated);
        Assert.IsGreaterThan(0L, sim.Rig.Stats.Overruns, "the stalled tick is an overrun");
    }

    [TestMethod]
    public void In_virtual_time_a_slow_tick_is_no_stall()
    {
        // The simulator's virtual time waits for the loop: a cold start or a busy CI machine must not trip the watchdog.
        using var sim = SimulatedRig.Open(RigConfig.Default());
        sim.Rig.Reset(5);
        sim.Rig.Apply(1);
        Thread.Sleep(200);
        Assert.IsFalse(sim.Rig.Advance().Done);
        Assert.IsNull(sim.Rig.Motor.TripReason);
        Assert.AreEqual(0, sim.Rig.Watchdog.Trips);
    }

    [TestMethod]
    public void Homing_finds_the_left_end_then_settles_the_cart_at_the_centre()
    {
        var config = RigConfig.Default();
        config.HoldUprightSeconds = 0.5;
        using var sim = SimulatedRig.Open(config, CartPoleOptions.Parse("friction=0.5"), operatorResets: false);
        sim.Plant.HoldPole = true; // the operator's hand
        sim.Plant.Place(new CartPoleState(1.3, 0, 0, 0));
        var said = new List<string>();
        sim.Rig.Status += said.Add;
        sim.Rig.Reset(null);
        Assert.AreEqual(0, sim.Plant.State.X, 0.015, "the cart rests at the rail's centre");
        Assert.AreEqual(0, sim.Rig.Observation[0], 0.015);
        CollectionAssert.AreEqual(new[] { "homing: driving to the left end switch", "homing: driving to the centre", "hold the pole upright and still for 0.5 s" }, said);
        Assert.IsFalse(sim.Rig.Motor.IsTripped, "rearmed after the end switch");
    }

    [TestMethod]
    public void Loop_stats_quantiles_and_overruns_by_hand()
    {
        var stats = new LoopStats(8);
        double[] late = [0.001, 0.002, 0.0005, 0.019, 0.0001];
        double[] work = [0.001, 0.001, 0.001, 0.002, 0.03];
        for (int i = 0; i < late.Length; i++)
        {
            stats.Record(late[i], work[i], 0.02);
        }

        Assert.AreEqual(2L, stats.Overruns, "0.019 + 0.002 and 0.0001 + 0.03 pass the 20 ms period");
        Assert.AreEqual(0.001, stats.Jitter(0.5), 1e-15, "the 3rd of 5 sorted");
        Assert.AreEqual(0.019, stats.Jitter(0.99), 1e-15);
        Assert.AreEqual(0.03, stats.MaxWork, 1e-15);
    }
}
