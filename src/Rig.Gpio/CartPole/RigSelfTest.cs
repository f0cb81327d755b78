using EdgeNet.Rig.Devices.Switches;

namespace EdgeNet.Rig.CartPole;

/// <summary>One self-test result.</summary>
public sealed record SelfTestCheck(string Name, bool Passed, string Detail);

/// <summary>
/// <c>edgenet rig selftest</c>: the pins opened (constructing the rig did that), no switch pressed at rest,
/// the motor moves the cart towards +x for a positive speed and back, both encoders count while it does, and
/// no edge was lost. Short slow pulses (home_duty for 0.3 s each way), so the cart stays near where it was.
/// </summary>
public static class RigSelfTest
{
    /// <summary>Checks the switches, the motor's direction against the cart encoder, and both encoders' counts and lost edges; returns one result per check (a failed one says what to rewire or set in rig.json).</summary>
    public static IReadOnlyList<SelfTestCheck> Run(GpioCartPoleRig rig, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(rig);
        var checks = new List<SelfTestCheck>();
        var pressed = Array.ConvertAll(Array.FindAll(Enum.GetValues<RigSwitch>(), rig.Switches.IsPressed), SafetySwitches.Describe);
        checks.Add(pressed.Length == 0
            ? new("switches", true, "limit switches and emergency stop released")
            : new("switches", false, $"{string.Join(", ", pressed)} pressed at rest: release it, or check the wiring and switches.active_low"));
        if (pressed.Length > 0)
        {
            return checks;
        }

        double mPerCount = rig.Config.CartEncoder.MetresPerRevolution / rig.Config.CartEncoder.CountsPerRevolution;
        long poleMoved = 0;
        foreach (int sign in new[] { +1, -1 })
        {
            // The push shows as a change of the cart's velocity over the pulse (the cart may still coast from the last one).
            long pole0 = rig.PoleEncoder.Count, poleMin = pole0, poleMax = pole0;
            rig.Motor.Rearm();
            double t = rig.Clock.Now;
            long before = rig.CartEncoder.Count;
            t += 0.02;
            rig.Clock.WaitUntil(t, cancel);
            long start = rig.CartEncoder.Count, v0 = start - before, v1 = 0;
            for (int i = 0; i < 30 && !cancel.IsCancellationRequested; i++)
            {
                rig.Motor.Speed = i < 15 ? sign * rig.Config.Motor.HomeDuty : 0; // 0.3 s on, 0.3 s to coast
                long c = rig.CartEncoder.Count;
                t += 0.02;
                rig.Clock.WaitUntil(t, cancel);
                if (i == 14)
                {
                    v1 = rig.CartEncoder.Count - c;
                }

                poleMin = Math.Min(poleMin, rig.PoleEncoder.Count);
                poleMax = Math.Max(poleMax, rig.PoleEncoder.Count);
            }

            rig.Motor.Stop();
            long moved = rig.CartEncoder.Count - start, gained = v1 - v0;
            poleMoved = Math.Max(poleMoved, poleMax - poleMin);
            string name = $"motor {(sign > 0 ? "+x" : "-x")}";
            if (rig.Motor.TripReason is { } trip)
            {
                checks.Add(new(name, false, $"the motor tripped: {trip}"));
            }
            else if (moved == 0 && gained == 0)
            {
                checks.Add(new(name, false, "the cart encoder did not count while the motor ran: check cart_encoder.pin_a/pin_b and its power, the motor supply and motor.pwm_chip/pwm_channel"));
            }
            else if (Math.Sign(gained) != sign)
            {
                checks.Add(new(name, false, $"a {(sign > 0 ? "positive" : "negative")} speed pushed the cart towards {(sign > 0 ? "-x" : "+x")} (its velocity changed by {gained * mPerCount / 0.02:+0.000;-0.000} m/s): swap motor.in1 and motor.in2 (or the motor's wires), or set cart_encoder.invert if the encoder counts backwards"));
            }
            else
            {
                checks.Add(new(name, true, $"velocity {gained * mPerCount / 0.02:+0.000;-0.000} m/s over the 0.3 s pulse at duty {sign * rig.Config.Motor.HomeDuty:+0.00;-0.00}; moved {moved * mPerCount * 1000:+0.0;-0.0} mm"));
            }
        }

        checks.Add(poleMoved > 0
            ? new("pole encoder", true, $"the pole swung over {poleMoved} counts ({poleMoved * 360.0 / rig.Config.PoleEncoder.CountsPerRevolution:F1}°) as the cart moved")
            : new("pole encoder", false, "no pole encoder counts while the cart moved: check pole_encoder.pin_a/pin_b and its power"));
        long lost = Math.Max(0, rig.PoleEncoder.IllegalTransitions) + Math.Max(0, rig.CartEncoder.IllegalTransitions)
            + Math.Max(0, rig.PoleEncoder.RepeatedEdges) + Math.Max(0, rig.CartEncoder.RepeatedEdges);
        bool canTell = rig.PoleEncoder.IllegalTransitions >= 0 || rig.CartEncoder.IllegalTransitions >= 0;
        checks.Add(new("lost edges", lost == 0,
            !canTell ? "the encoder sources cannot tell lost edges (x1/x2/evdev)"
            : lost == 0 ? "none: every transition followed the previous state"
            : $"{lost} transitions showed lost edges (pole {rig.PoleEncoder.IllegalTransitions} illegal + {rig.PoleEncoder.RepeatedEdges} repeated, cart {rig.CartEncoder.IllegalTransitions} + {rig.CartEncoder.RepeatedEdges}): userspace GPIO is too slow for this encoder; use decoding evdev (the kernel rotary-encoder driver) or a lower resolution"));
        return checks;
    }
}
