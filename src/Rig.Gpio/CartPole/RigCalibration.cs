using EdgeNet.Rig.Config;
using EdgeNet.Rig.Control;
using EdgeNet.Rig.Devices.Switches;

namespace EdgeNet.Rig.CartPole;

/// <summary>Someone at the rig during calibration: a person at the console on hardware, the simulator in simulation.</summary>
public interface ICalibrationOperator
{
    /// <summary>Turn the pole by hand one full revolution, its top moving towards +x (the right end switch); returns when done.</summary>
    void TurnPoleOneRevolution(string instruction);
}

/// <summary>One thing calibration measured, and what it set in rig.json.</summary>
/// <param name="Name">What was measured.</param>
/// <param name="Value">The value found.</param>
/// <param name="Detail">How, and what changed in the configuration.</param>
public sealed record CalibrationFinding(string Name, string Value, string Detail);

/// <summary>What calibration found: the configuration to write and each finding.</summary>
/// <param name="Config">The rig's configuration with the measured values.</param>
/// <param name="MotorSwapped">A positive speed drove the cart to the left end: the direction pins are swapped in <paramref name="Config"/>.</param>
/// <param name="Findings">Each measurement, in order.</param>
public sealed record CalibrationResult(RigConfig Config, bool MotorSwapped, IReadOnlyList<CalibrationFinding> Findings)
{
    /// <summary>
    /// The measured values applied to <paramref name="original"/> (the file as the user wrote it: header-numbered pins
    /// stay header pins): encoder resolutions and directions, the motor's direction pins swapped when they were.
    /// </summary>
    public RigConfig ApplyTo(RigConfig original)
    {
        ArgumentNullException.ThrowIfNull(original);
        var c = RigConfig.Parse(original.ToJson(), "calibration");
        (c.CartEncoder.CountsPerRevolution, c.CartEncoder.Invert) = (Config.CartEncoder.CountsPerRevolution, Config.CartEncoder.Invert);
        (c.PoleEncoder.CountsPerRevolution, c.PoleEncoder.Invert) = (Config.PoleEncoder.CountsPerRevolution, Config.PoleEncoder.Invert);
        if (MotorSwapped)
        {
            (c.Motor.In1, c.Motor.In2) = (c.Motor.In2, c.Motor.In1);
        }

        return c;
    }
}

/// <summary>
/// <c>edgenet rig calibrate</c>: a guided bring-up that measures what rig.json must say. Slow pushes of growing duty find
/// the motor's dead band; driving to one end switch and then the other finds the motor's direction (which switch a
/// positive speed reaches), the cart encoder's direction and counts per revolution (the counts between the switches over
/// <c>rail_length</c>); a full turn of the pole by hand finds the pole encoder's direction and counts per revolution. The
/// end switches are checked on the way (each must be the one at its end). Ends with the cart back at the centre.
/// </summary>
public static class RigCalibration
{
    /// <summary>Runs the calibration on <paramref name="rig"/> (built with the configuration to correct) with <paramref name="person"/> at the rig.</summary>
    public static CalibrationResult Run(GpioCartPoleRig rig, ICalibrationOperator person, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(rig);
        ArgumentNullException.ThrowIfNull(person);
        var config = RigConfig.Parse(rig.Config.ToJson(), "calibration");
        var findings = new List<CalibrationFinding>();
        if (rig.Switches.AnyPressed() is RigSwitch pressed)
        {
            throw new RigSafetyException($"calibration: the {SafetySwitches.Describe(pressed)} is pressed at the start: move the cart off it (or check switches.active_low)");
        }

        var c = rig.Config;
        double duty = c.Motor.HomeDuty;

        // The dead band: the smallest duty that moves the cart (pushes of 0.2 s, both ways so the cart stays put).
        double deadBand = double.NaN;
        for (double d = 0.01; d <= duty + 1e-9; d += 0.01)
        {
            long moved = 0;
            foreach (int sign in new[] { +1, -1 })
            {
                long before = rig.CartEncoder.Count;
                Drive(rig, sign * d, 0.2, cancel);
                Drive(rig, 0, 0.2, cancel);
                moved = Math.Max(moved, Math.Abs(rig.CartEncoder.Count - before));
            }

            if (moved > 2)
            {
                deadBand = d;
                break;
            }
        }

        if (double.IsNaN(deadBand))
        {
            throw new RigSafetyException($"calibration: the cart did not move at any duty up to motor.home_duty {duty:0.00}: check the motor supply, motor.pwm_chip/pwm_channel (or pwm_pin) and the cart encoder's wiring");
        }

        findings.Add(new("motor dead band", $"duty {deadBand:0.00}", $"the smallest duty that moved the cart; homing uses {duty:0.00}{(deadBand > duty * 0.8 ? " — raise motor.home_duty above the dead band" : "")}"));

        // Travel: a positive speed until a switch stops the motor, then the other way to the other switch.
        var first = DriveToSwitch(rig, +duty, cancel);
        long firstCount = rig.CartEncoder.Count;
        bool swapped = first == RigSwitch.LimitLeft;
        var second = DriveToSwitch(rig, -duty, cancel);
        long secondCount = rig.CartEncoder.Count;
        if (second == first)
        {
            throw new RigSafetyException($"calibration: both directions stopped at the {SafetySwitches.Describe(first)}: check that the two end switches are wired to their own pins");
        }

        findings.Add(new("motor direction", swapped ? "reversed" : "as wired",
            swapped ? "a positive speed drove the cart to the left end: motor.in1 and motor.in2 swapped in rig.json" : "a positive speed drives the cart to the right end (+x)"));
        if (swapped)
        {
            (config.Motor.In1, config.Motor.In2) = (c.Motor.In2, c.Motor.In1);
        }

        long leftCount = second == RigSwitch.LimitLeft ? secondCount : firstCount;
        long rightCount = second == RigSwitch.LimitLeft ? firstCount : secondCount;
        long span = rightCount - leftCount;
        double countsPerMetre = Math.Abs(span) / c.RailLength;
        int cartCpr = (int)Math.Round(countsPerMetre * c.CartEncoder.MetresPerRevolution);
        bool cartReversed = span < 0;
        config.CartEncoder.CountsPerRevolution = cartCpr;
        config.CartEncoder.Invert = c.CartEncoder.Invert ^ cartReversed;
        findings.Add(new("cart encoder", $"{cartCpr} counts/rev", $"{Math.Abs(span)} counts between the end switches over rail_length {c.RailLength} m = {countsPerMetre:0.#} counts/m at {c.CartEncoder.MetresPerRevolution} m/rev{(cartReversed ? "; it counted down towards +x: cart_encoder.invert flipped" : "")}"));

        // Back to the centre, half-way between the switches, with homing's gentle PD law on the counts (a cart without
        // friction coasts): a positive speed moves the count towards the first switch's (as the rig is wired now).
        long centre = (firstCount + secondCount) / 2;
        int countPerSpeed = Math.Sign(firstCount - secondCount);
        double period = c.Period, settled = 0, deadline = rig.Clock.Now + 60;
        long last = rig.CartEncoder.Count;
        rig.Motor.Rearm();
        while (settled < 0.5 && rig.Clock.Now < deadline && !rig.Motor.IsTripped)
        {
            long now = rig.CartEncoder.Count;
            double x = (now - centre) / countsPerMetre, v = (now - last) / countsPerMetre / period;
            last = now;
            settled = Math.Abs(x) < 0.01 && Math.Abs(v) < 0.02 ? settled + period : 0;
            rig.Motor.Speed = Math.Clamp(-((2.0 * x) + (1.0 * v)) * countPerSpeed, -duty, duty);
            rig.Clock.WaitUntil(rig.Clock.Now + period, cancel);
            cancel.ThrowIfCancellationRequested();
        }

        rig.Motor.Stop();

        // The pole: one full turn by hand.
        long pole0 = rig.PoleEncoder.Count;
        person.TurnPoleOneRevolution("turn the pole by hand one full revolution, its top moving towards +x (the right end switch), then press Enter");
        long turn = rig.PoleEncoder.Count - pole0;
        if (Math.Abs(turn) < 4)
        {
            throw new RigSafetyException("calibration: the pole encoder did not count while the pole turned: check pole_encoder.pin_a/pin_b and its power");
        }

        config.PoleEncoder.CountsPerRevolution = (int)Math.Abs(turn);
        config.PoleEncoder.Invert = c.PoleEncoder.Invert ^ (turn < 0);
        findings.Add(new("pole encoder", $"{Math.Abs(turn)} counts/rev", $"one turn by hand{(turn < 0 ? "; it counted down for +theta: pole_encoder.invert flipped" : "")}"));
        findings.Add(new("end switches", "both", $"the positive speed stopped at the {SafetySwitches.Describe(first)}, the negative one at the {SafetySwitches.Describe(second)}: both switches work, each at its end"));
        config.Validate("calibration");
        return new CalibrationResult(config, swapped, findings);
    }

    private static void Drive(GpioCartPoleRig rig, double speed, double seconds, CancellationToken cancel)
    {
        if (speed != 0 && rig.Motor.IsTripped)
        {
            rig.Motor.Rearm();
        }

        rig.Motor.Speed = speed;
        double end = rig.Clock.Now + seconds;
        for (double t = rig.Clock.Now; t < end - 1e-9 && !cancel.IsCancellationRequested;)
        {
            t = Math.Min(end, t + 0.02);
            rig.Clock.WaitUntil(t, cancel);
        }

        cancel.ThrowIfCancellationRequested();
    }

    private static RigSwitch DriveToSwitch(GpioCartPoleRig rig, double speed, CancellationToken cancel)
    {
        rig.Motor.Rearm();
        double deadline = rig.Clock.Now + 60;
        while (!rig.Motor.IsTripped)
        {
            rig.Motor.Speed = speed;
            rig.Clock.WaitUntil(rig.Clock.Now + 0.02, cancel);
            cancel.ThrowIfCancellationRequested();
            if (rig.Clock.Now > deadline)
            {
                rig.Motor.Trip("calibration stopped");
                throw new RigSafetyException("calibration: no end switch was reached in 60 s: check the motor, its supply and the switches' wiring");
            }
        }

        rig.Motor.Stop();
        if (rig.Switches.IsPressed(RigSwitch.LimitLeft))
        {
            return RigSwitch.LimitLeft;
        }

        if (rig.Switches.IsPressed(RigSwitch.LimitRight))
        {
            return RigSwitch.LimitRight;
        }

        throw new RigSafetyException($"calibration: the motor stopped ({rig.Motor.TripReason}) before an end switch was pressed");
    }
}
