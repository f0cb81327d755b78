using EdgeNet.Rig.Environments;
using EdgeNet.Rig.Physics;

namespace EdgeNet.Rig.Tests;

[TestClass]
public sealed class CartPoleEnvTests
{
    /// <summary>
    /// CartPole-v1's step written out here from the published source, in double precision, so the
    /// library's physics is compared with an independent transcription rather than with itself.
    /// </summary>
    private static double[] GymStep(double[] s, int action)
    {
        const double gravity = 9.8, masscart = 1.0, masspole = 0.1, length = 0.5, forceMag = 10.0, tau = 0.02;
        const double totalMass = masspole + masscart, polemassLength = masspole * length;
        double x = s[0], xDot = s[1], theta = s[2], thetaDot = s[3];
        double force = action == 1 ? forceMag : -forceMag;
        double costheta = Math.Cos(theta), sintheta = Math.Sin(theta);
        double temp = (force + (polemassLength * thetaDot * thetaDot * sintheta)) / totalMass;
        double thetaacc = ((gravity * sintheta) - (costheta * temp)) / (length * ((4.0 / 3.0) - (masspole * costheta * costheta / totalMass)));
        double xacc = temp - (polemassLength * thetaacc * costheta / totalMass);
        x += tau * xDot;
        xDot += tau * xacc;
        theta += tau * thetaDot;
        thetaDot += tau * thetaacc;
        return [x, xDot, theta, thetaDot];
    }

    private static bool GymDone(double[] s) => s[0] < -2.4 || s[0] > 2.4 || s[2] < -12 * 2 * Math.PI / 360 || s[2] > 12 * 2 * Math.PI / 360;

    [TestMethod]
    public void Transitions_equal_the_published_equations()
    {
        var env = new CartPoleEnv();
        var start = new CartPoleState(0.03, -0.2, 0.01, 0.15);
        env.Reset(start);
        double[] s = [0.03, -0.2, 0.01, 0.15];
        int[] actions = [1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0];
        foreach (int a in actions)
        {
            env.Step(a);
            s = GymStep(s, a);
            var st = env.State;
            Assert.AreEqual(s[0], st.X, 1e-15);
            Assert.AreEqual(s[1], st.XDot, 1e-15);
            Assert.AreEqual(s[2], st.Theta, 1e-15);
            Assert.AreEqual(s[3], st.ThetaDot, 1e-15);
            for (int i = 0; i < 4; i++)
            {
                Assert.AreEqual((float)s[i], env.Observation[i], "the observation is the state as float32, as Gym returns it");
            }
        }
    }

    [TestMethod]
    public void One_step_from_rest_matches_a_hand_computation()
    {
        // From the upright rest state a push right gives temp = 10/1.1, θ̈ = −temp / (0.5·(4/3 − 0.1/1.1)),
        // ẍ = temp − 0.05·θ̈/1.1; Euler leaves x and θ at 0 and sets the velocities to τ times these.
        var env = new CartPoleEnv();
        env.Reset(new CartPoleState(0, 0, 0, 0));
        env.Step(1);
        double temp = 10 / 1.1;
        double thetaAcc = -temp / (0.5 * ((4.0 / 3.0) - (0.1 / 1.1)));
        double xAcc = temp - (0.05 * thetaAcc / 1.1);
        Assert.AreEqual(0.0, env.State.X);
        Assert.AreEqual(0.02 * xAcc, env.State.XDot, 1e-15);
        Assert.AreEqual(0.0, env.State.Theta);
        Assert.AreEqual(0.02 * thetaAcc, env.State.ThetaDot, 1e-15);
        Assert.AreEqual(0.19512195121951220, env.State.XDot, 1e-15);   // 0.02·(temp − 0.05θ̈/1.1) by hand
        Assert.AreEqual(-0.29268292682926830, env.State.ThetaDot, 1e-15);
    }

    [TestMethod]
    public void Terminates_at_the_step_the_published_equations_cross_the_threshold_and_rewards_the_last_step()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var env = new CartPoleEnv();
            var obs = env.Reset(seed);
            double[] s = [env.State.X, env.State.XDot, env.State.Theta, env.State.ThetaDot];
            Assert.IsTrue(s.All(v => Math.Abs(v) <= 0.05), "start state uniform in ±0.05");
            int expected = 0;
            do
            {
                s = GymStep(s, 1);
                expected++;
            }
            while (!GymDone(s));

            float total = 0;
            int steps = 0;
            StepResult r;
            do
            {
                r = env.Step(1);
                total += r.Reward;
                steps++;
                Assert.AreEqual(steps == expected, r.Terminated, $"seed {seed}: terminated flag at step {steps}");
            }
            while (!r.Done);

            Assert.AreEqual(expected, steps);
            Assert.AreEqual(expected, total, "reward 1 per step including the last");
            Assert.IsFalse(r.Truncated);
            Assert.ThrowsExactly<InvalidOperationException>(() => env.Step(0));
        }
    }

    [TestMethod]
    public void Truncates_after_500_steps_without_terminating()
    {
        // A hand-tuned linear controller keeps the pole up far longer than 500 steps.
        var env = new CartPoleEnv(seed: 3);
        env.Reset(3);
        StepResult r;
        int steps = 0;
        do
        {
            var o = env.Observation;
            r = env.Step((o[2] + (0.5 * o[3]) + (0.05 * o[1]) + (0.01 * o[0])) > 0 ? 1 : 0);
            steps++;
            Assert.IsFalse(r.Terminated, $"the controller lost the pole at step {steps}");
        }
        while (!r.Done);

        Assert.AreEqual(500, steps);
        Assert.IsTrue(r.Truncated);
    }

    [TestMethod]
    public void Reset_with_a_seed_is_reproducible_and_without_one_continues()
    {
        var a = new CartPoleEnv();
        var b = new CartPoleEnv();
        CollectionAssert.AreEqual(a.Reset(42).ToArray(), b.Reset(42).ToArray());
        var second = a.Reset().ToArray();
        CollectionAssert.AreNotEqual(b.Reset(42).ToArray(), second, "an unseeded reset draws a new start");
    }

    [TestMethod]
    public void Latency_delays_the_force_by_whole_ticks()
    {
        var options = new CartPoleOptions { LatencyTicks = 2 };
        var env = new CartPoleEnv(options);
        var start = new CartPoleState(0.01, 0.02, -0.01, 0.03);
        env.Reset(start);
        var s = start;
        int[] actions = [1, 0, 0, 1, 1];
        int?[] applied = [null, null, 1, 0, 0];   // two ticks late; idle motor until then
        for (int t = 0; t < actions.Length; t++)
        {
            env.Step(actions[t]);
            double force = applied[t] is int a ? (a == 1 ? 10 : -10) : 0;
            s = CartPolePhysics.Step(s, force, CartPoleOptions.Default);
            Assert.AreEqual(s, env.State, $"tick {t}");
        }
    }

    [TestMethod]
    public void Motor_lag_is_first_order()
    {
        var options = new CartPoleOptions { MotorLag = 0.04 };
        var env = new CartPoleEnv(options);
        var start = new CartPoleState(0, 0, 0, 0);
        env.Reset(start);
        double alpha = 1 - Math.Exp(-0.02 / 0.04), force = 0;
        var s = start;
        for (int t = 0; t < 4; t++)
        {
            env.Step(1);
            force += (10 - force) * alpha;
            s = CartPolePhysics.Step(s, force, CartPoleOptions.Default);
            Assert.AreEqual(s, env.State, $"tick {t}");
        }

        Assert.AreEqual(10 * (1 - Math.Pow(1 - alpha, 4)), force, 1e-12);
    }

    [TestMethod]
    public void Friction_opposes_the_cart_velocity()
    {
        var moving = new CartPoleState(0, 1.0, 0, 0);
        var free = CartPolePhysics.Step(moving, 0, CartPoleOptions.Default);
        var rubbed = CartPolePhysics.Step(moving, 0, new CartPoleOptions { CartFriction = 2.2 });
        // With θ = 0 friction acts like a force of −2.2 N: temp = −2.2/1.1, θ̈ = −temp/(0.5·(4/3 − 0.1/1.1)), ẍ = temp − ml·θ̈/M.
        double temp = -2.2 / 1.1;
        double thetaAcc = -temp / (0.5 * ((4.0 / 3.0) - (0.1 / 1.1)));
        double xAcc = temp - (0.05 * thetaAcc / 1.1);
        Assert.AreEqual(1.0, free.XDot, 1e-15);
        Assert.AreEqual(1.0 + (0.02 * xAcc), rubbed.XDot, 1e-15);
        Assert.IsLessThan(free.XDot, rubbed.XDot);
    }

    [TestMethod]
    public void Encoder_quantization_and_noise_act_on_the_observation_only()
    {
        var q = new CartPoleEnv(new CartPoleOptions { PositionResolution = 0.01, AngleResolution = 0.002 });
        q.Reset(new CartPoleState(0.01234, 0.5, 0.00345, -0.25));
        Assert.AreEqual(0.01f, q.Observation[0], 1e-7f);
        Assert.AreEqual(0.004f, q.Observation[2], 1e-7f);
        Assert.AreEqual(0.5f, q.Observation[1]);
        Assert.AreEqual(0.01234, q.State.X, "the true state is not quantized");

        var noisy = new CartPoleEnv(new CartPoleOptions { SensorNoise = 0.1 }, seed: 9);
        double sum = 0, sumSq = 0;
        const int N = 20_000;
        for (int i = 0; i < N; i++)
        {
            noisy.Reset(new CartPoleState(0.5, 0, 0, 0));
            double e = noisy.Observation[0] - 0.5;
            sum += e;
            sumSq += e * e;
        }

        double mean = sum / N, std = Math.Sqrt((sumSq / N) - (mean * mean));
        Assert.AreEqual(0, mean, 0.004, "noise has zero mean");
        Assert.AreEqual(0.1, std, 0.004, "noise has the configured standard deviation");
    }

    [TestMethod]
    public void Physics_spec_round_trips_and_refuses_bad_values_by_name()
    {
        var o = CartPoleOptions.Parse("pole_mass=0.15, motor_lag=0.04,latency=1,noise=0.01");
        Assert.AreEqual(0.15, o.PoleMass);
        Assert.AreEqual(0.04, o.MotorLag);
        Assert.AreEqual(1, o.LatencyTicks);
        Assert.AreEqual(0.01, o.SensorNoise);
        Assert.AreEqual("pole_mass=0.15,motor_lag=0.04,latency=1,noise=0.01", o.ToSpec());
        Assert.AreEqual(o, CartPoleOptions.Parse(o.ToSpec()));
        Assert.AreEqual("default", CartPoleOptions.Default.ToSpec());
        Assert.AreSame(CartPoleOptions.Default, CartPoleOptions.Parse("default"));

        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => CartPoleOptions.Parse("pole_weight=1")).Message, "pole_mass");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => CartPoleOptions.Parse("pole_mass=-1")).Message, "'pole_mass' must be > 0");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => CartPoleOptions.Parse("latency=0.5")).Message, "whole number");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => CartPoleOptions.Parse("noise=abc")).Message, "not a number");
    }

    [TestMethod]
    public void Rollout_runs_episodes_in_lockstep_with_the_returns_of_single_runs()
    {
        // Policy: push toward the lean. Each batched episode must return what a lone env returns from the same seed.
        static int Lean(ReadOnlySpan<float> o) => o[2] > 0 ? 1 : 0;
        var returns = Rollout.Returns((obs, n, actions) =>
        {
            for (int i = 0; i < n; i++)
            {
                actions[i] = Lean(obs.Slice(i * 4, 4));
            }
        }, CartPoleOptions.Default, 12, seed: 100);
        for (int i = 0; i < 12; i++)
        {
            var env = new CartPoleEnv();
            env.Reset(100 + i);
            int steps = 0;
            while (!env.Step(Lean(env.Observation)).Done)
            {
                steps++;
            }

            Assert.AreEqual(steps + 1, returns[i], $"episode {i}");
        }

        Assert.IsGreaterThan(1, returns.Distinct().Count(), "different seeds give different episodes");
    }
}
