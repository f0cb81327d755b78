namespace EdgeNet.Rig.Physics;

/// <summary>
/// The cart-pole equations of motion (Barto, Sutton and Anderson 1983, as CartPole-v1 implements
/// them, without pole friction) with one explicit Euler step per tick. With the default options a
/// step is CartPole-v1's to the last bit:
/// <code>
/// temp   = (F − μc·sgn(ẋ) + m·l·θ̇²·sin θ) / (M + m)
/// θ̈      = (g·sin θ − cos θ·temp) / (l·(4/3 − m·cos²θ / (M + m)))
/// ẍ      = temp − m·l·θ̈·cos θ / (M + m)
/// x += τ·ẋ;  ẋ += τ·ẍ;  θ += τ·θ̇;  θ̇ += τ·θ̈
/// </code>
/// (μc = <see cref="CartPoleOptions.CartFriction"/>, 0 in CartPole-v1.)
/// </summary>
public static class CartPolePhysics
{
    /// <summary>The state one tick later under a horizontal <paramref name="force"/> [N] on the cart.</summary>
    public static CartPoleState Step(in CartPoleState s, double force, CartPoleOptions o)
    {
        double m = o.PoleMass, l = o.PoleHalfLength, total = o.TotalMass, tau = o.Tau;
        double cos = Math.Cos(s.Theta), sin = Math.Sin(s.Theta);
        double friction = o.CartFriction * Math.Sign(s.XDot);
        double temp = (force - friction + (m * l * s.ThetaDot * s.ThetaDot * sin)) / total;
        double thetaAcc = ((o.Gravity * sin) - (cos * temp)) / (l * ((4.0 / 3.0) - (m * cos * cos / total)));
        double xAcc = temp - (m * l * thetaAcc * cos / total);
        return new CartPoleState(
            s.X + (tau * s.XDot),
            s.XDot + (tau * xAcc),
            s.Theta + (tau * s.ThetaDot),
            s.ThetaDot + (tau * thetaAcc));
    }

    /// <summary>CartPole-v1's termination: the cart left the rail or the pole leans past the threshold.</summary>
    public static bool IsTerminal(in CartPoleState s, CartPoleOptions o) =>
        s.X < -o.XThreshold || s.X > o.XThreshold || s.Theta < -o.ThetaThreshold || s.Theta > o.ThetaThreshold;
}
