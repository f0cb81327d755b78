namespace EdgeNet.Rig.Physics;

/// <summary>
/// The cart-pole's true state in double precision: cart position x [m], velocity x_dot [m/s], pole
/// angle theta [rad] from upright (positive: leaning right), angular velocity theta_dot [rad/s].
/// </summary>
public readonly record struct CartPoleState(double X, double XDot, double Theta, double ThetaDot);
