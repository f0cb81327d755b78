using System.Device.Gpio;
using EdgeNet.Rig.Config;
using EdgeNet.Rig.Devices;
using EdgeNet.Rig.Devices.Encoders;
using EdgeNet.Rig.Devices.Motor;
using EdgeNet.Rig.Physics;
using EdgeNet.Rig.Simulation;

namespace EdgeNet.Rig.Tests;

/// <summary>The rig's device classes (and dotnet/iot's DCMotor and QuadratureRotaryEncoder) over the simulated GPIO chip.</summary>
[TestClass]
public sealed class GpioDeviceTests
{
    private static void Walk(SimulatedGpioDriver chip, int a, int b, params int[] states)
    {
        foreach (int s in states)
        {
            chip.Drive(a, (s & 2) != 0 ? PinValue.High : PinValue.Low);
            chip.Drive(b, (s & 1) != 0 ? PinValue.High : PinValue.Low);
        }
    }

    [TestMethod]
    public void X4_decoder_counts_every_edge_of_the_quadrature_sequence_by_hand()
    {
        using var chip = new SimulatedGpioDriver();
        chip.Claim(2);
        chip.Claim(3);
        using var gpio = new GpioController(chip);
        using var decoder = new QuadratureDecoder(gpio, 2, 3);

        // A leads B: 00 → 10 → 11 → 01 → 00 is four steps forward (one edge each), twice.
        Walk(chip, 2, 3, 2, 3, 1, 0, 2, 3, 1, 0);
        Assert.AreEqual(8L, decoder.Count);

        // Back three steps: 00 → 01 → 11 → 10.
        Walk(chip, 2, 3, 1, 3, 2);
        Assert.AreEqual(5L, decoder.Count);
        Assert.AreEqual(0L, decoder.IllegalTransitions);

        // 10 → 01 changes both pins: a missed edge, counted and not guessed.
        chip.Drive(2, PinValue.Low);
        chip.DropEdges = 1; // the B edge is lost; the next A edge sees both pins moved
        chip.Drive(3, PinValue.High);
        chip.DropEdges = 0;
        chip.Drive(2, PinValue.High); // 01 → 11 seen as 00 → 11 from the decoder's 00... two bits
        Assert.AreEqual(1L, decoder.IllegalTransitions, "a lost edge shows as a transition of both pins");
    }

    [TestMethod]
    public void Decoder_state_table_is_the_gray_code()
    {
        // +1 along 00→10→11→01→00, −1 the other way, 2 (illegal) across, 0 in place.
        int[] forward = [0, 2, 3, 1];
        for (int i = 0; i < 4; i++)
        {
            int s = forward[i], next = forward[(i + 1) % 4], across = forward[(i + 2) % 4];
            Assert.AreEqual(1, QuadratureDecoder.Step(s, next));
            Assert.AreEqual(-1, QuadratureDecoder.Step(next, s));
            Assert.AreEqual(2, QuadratureDecoder.Step(s, across));
            Assert.AreEqual(0, QuadratureDecoder.Step(s, s));
        }
    }

    [TestMethod]
    public void Simulated_pole_encoder_gives_the_angle_in_counts_and_reports_lost_edges()
    {
        var config = RigConfig.Default();
        foreach (double drop in new[] { 0.0, 0.02 })
        {
            using var sim = new SimulatedCartPole(config, CartPoleOptions.Default);
            sim.Driver.DropEdges = drop;
            using var gpio = new GpioController(sim.Driver);
            using var decoder = new QuadratureDecoder(gpio, config.PoleEncoder.PinA, config.PoleEncoder.PinB);
            long expected = 0;
            foreach (double theta in new[] { 0.1, -0.05, 0.3, 0.2901 })
            {
                sim.Place(new CartPoleState(0, 0, theta, 0));
                expected = (long)Math.Round(theta * 2400 / (2 * Math.PI));
            }

            if (drop == 0)
            {
                Assert.AreEqual(expected, decoder.Count, "2400 counts per turn: theta 0.2901 rad is 111 counts");
                Assert.AreEqual(111L, expected);
                Assert.AreEqual(0L, decoder.IllegalTransitions + decoder.RepeatedEdges);
            }
            else
            {
                Assert.IsGreaterThan(0L, sim.Driver.EdgesDropped);
                Assert.IsGreaterThan(0L, decoder.IllegalTransitions, $"{sim.Driver.EdgesDropped} dropped edges must show as illegal transitions");
            }
        }
    }

    [TestMethod]
    public void QuadratureRotaryEncoder_counts_x2_and_x1_in_the_rigs_direction()
    {
        foreach (var (decoding, perTurn) in new[] { (EncoderDecoding.X2, 1200), (EncoderDecoding.X1, 600) })
        {
            var config = RigConfig.Default();
            config.PoleEncoder.Decoding = decoding;
            config.PoleEncoder.CountsPerRevolution = perTurn;
            using var sim = new SimulatedCartPole(config, CartPoleOptions.Default);
            using var gpio = new GpioController(sim.Driver);
            using var source = EncoderSources.Open(config.PoleEncoder, gpio, "pole_encoder");
            sim.Place(new CartPoleState(0, 0, 0.5, 0)); // 0.5 rad = 190.99 x4 counts
            long x4 = (long)Math.Round(0.5 * 2400 / (2 * Math.PI));
            Assert.AreEqual(191L, x4);
            long want = x4 * perTurn / 2400;
            Assert.IsLessThanOrEqualTo(1L, Math.Abs(source.Count - want), $"{decoding}: {source.Count} counts, expected {want} ± 1 (positive: the rig's +theta)");
            sim.Place(new CartPoleState(0, 0, 0, 0));
            Assert.IsLessThanOrEqualTo(1L, Math.Abs(source.Count), $"{decoding}: back at 0 the count is {source.Count}");
        }
    }

    [TestMethod]
    public void DCMotor_through_the_h_bridge_turns_duty_and_direction_into_force_and_trips_off()
    {
        var config = RigConfig.Default();
        using var sim = new SimulatedCartPole(config, CartPoleOptions.Default);
        using var gpio = new GpioController(sim.Driver);
        using var motor = new HBridgeMotor(sim.Pwm, config.Motor.In1, config.Motor.In2, gpio);
        Assert.AreEqual(0.0, sim.CommandedForce());
        motor.Speed = 0.5;
        Assert.AreEqual(5.0, sim.CommandedForce(), 1e-12, "half duty towards +x: half of the 10 N push");
        Assert.AreEqual(PinValue.High, sim.Driver.Level(config.Motor.In2), "dotnet/iot's DCMotor drives a positive speed with its second pin high");
        Assert.AreEqual(PinValue.Low, sim.Driver.Level(config.Motor.In1));
        motor.Speed = -1;
        Assert.AreEqual(-10.0, sim.CommandedForce(), 1e-12);
        string? seen = null;
        motor.Tripped += r => seen = r;
        motor.Trip("test");
        Assert.AreEqual(0.0, sim.CommandedForce());
        motor.Speed = 1;
        Assert.AreEqual(0.0, sim.CommandedForce(), "a tripped motor ignores speeds until rearmed");
        Assert.AreEqual("test", seen);
        motor.Rearm();
        motor.Speed = 1;
        Assert.AreEqual(10.0, sim.CommandedForce(), 1e-12);
    }

    [TestMethod]
    public void Evdev_source_sums_relative_steps_and_names_a_truncated_stream()
    {
        var events = new byte[(EvdevEncoderSource.EventSize * 14) + 10];
        int at = 0;
        void Put(ushort type, int value)
        {
            EvdevEncoderSource.WriteEvent(events.AsSpan(at), type, 0, value);
            at += EvdevEncoderSource.EventSize;
        }

        for (int i = 0; i < 10; i++)
        {
            Put(2, +1); // EV_REL REL_X +1
        }

        Put(0, 0); // EV_SYN
        Put(2, -1);
        Put(2, -1);
        Put(2, -1);
        using var source = new EvdevEncoderSource(new MemoryStream(events), "recorded");
        Assert.IsTrue(source.WaitForEnd(TimeSpan.FromSeconds(5)));
        Assert.AreEqual(7L, source.Count);
        StringAssert.Contains(source.Error, "truncated event (10 of 24 bytes)");
        source.Zero();
        Assert.AreEqual(0L, source.Count);
    }

    [TestMethod]
    public void A_pin_that_cannot_be_opened_names_the_field_and_the_pins()
    {
        var config = RigConfig.Default();
        var ex = Assert.ThrowsExactly<RigHardwareException>(() => SimulatedRig.Open(config, beforeOpen: chip => chip.FailOpen(config.CartEncoder.PinB)));
        StringAssert.Contains(ex.Message, "cart_encoder: GPIO 5/6 cannot be opened");
        StringAssert.Contains(ex.Message, "line busy");
    }
}
