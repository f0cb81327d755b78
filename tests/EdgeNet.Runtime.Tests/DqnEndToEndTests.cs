using System.Diagnostics;
using System.Globalization;
using EdgeNet.Rig.Environments;
using EdgeNet.Rig.Physics;
using EdgeNet.Runtime.Cli;
using EdgeNet.Trainer.Backends.Cpu;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Rl;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// The DQN from the host to the board: a short seeded run on one thread, exported as f32 and int8
/// blobs, then run by the runtime — Q-values, greedy rollouts and the int8 policy checked against
/// the trainer's own network.
/// </summary>
[TestClass]
[DoNotParallelize] // sets the trainer's GEMM to one thread for the run
public sealed class DqnEndToEndTests
{
    private static DqnTrainer s_trainer = null!;
    private static double s_seconds;
    private static string s_dir = null!;
    private static string s_f32 = null!;
    private static string s_int8 = null!;

    [ClassInitialize]
    public static void Train(TestContext _)
    {
        int saved = EdgeNet.Kernels.Simd.Gemm.MaxThreads;
        EdgeNet.Kernels.Simd.Gemm.MaxThreads = 1;
        try
        {
            s_trainer = new DqnTrainer(new DqnOptions { TotalSteps = 12_000, EvalEvery = 0, Seed = 1 });
            var sw = Stopwatch.StartNew();
            s_trainer.Train();
            s_seconds = sw.Elapsed.TotalSeconds;
        }
        finally
        {
            EdgeNet.Kernels.Simd.Gemm.MaxThreads = saved;
        }

        s_dir = Directory.CreateTempSubdirectory("edgenet-dqn-").FullName;
        s_f32 = Path.Combine(s_dir, "q-f32.enb");
        s_int8 = Path.Combine(s_dir, "q-int8.enb");
        DqnExport.Export(s_trainer.Agent, s_f32, QuantizationScheme.F32, CartPoleOptions.Default);
        DqnExport.Export(s_trainer.Agent, s_int8, QuantizationScheme.Int8, CartPoleOptions.Default);
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(s_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [TestMethod]
    public void A_short_seeded_run_beats_a_random_policy_by_far()
    {
        var rng = new Random(11);
        double random = Rollout.MeanReturn((obs, n, actions) =>
        {
            for (int i = 0; i < n; i++)
            {
                actions[i] = rng.Next(2);
            }
        }, CartPoleOptions.Default, 100, seed: 500);
        double greedy = s_trainer.Evaluate(100, seed: 500);
        Assert.AreEqual(22, random, 4, "a random policy lasts about 22 steps on CartPole-v1");
        Assert.IsGreaterThan(4 * random, greedy, $"12,000 env steps: greedy mean {greedy:F1} vs random {random:F1}");
        Assert.IsLessThan(30, s_seconds, "the short run takes under 30 s on one thread");
    }

    [TestMethod]
    public void Run_obs_prints_the_trainers_Q_values_and_the_greedy_action()
    {
        float[][] states = [[0.01f, 0f, -0.02f, 0f], [-0.5f, 0.3f, 0.1f, -0.4f], [1.2f, -1f, -0.15f, 1.5f]];
        foreach (var s in states)
        {
            var q = new float[2];
            s_trainer.Agent.QValues(s, 1, q);
            string obs = string.Join(",", s.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
            var (code, output, err) = Run("run", s_f32, "--obs", obs, "--print-outputs");
            Assert.AreEqual(0, code, err);
            float[] got = output.Split('\n').Single(l => l.StartsWith("outputs: ", StringComparison.Ordinal))[9..].Split(' ')
                .Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            for (int a = 0; a < 2; a++)
            {
                Assert.AreEqual(q[a], got[a], 1e-5f * Math.Max(1, Math.Abs(q[a])), $"Q[{a}] at ({obs})");
            }

            int best = q[1] > q[0] ? 1 : 0;
            StringAssert.Contains(output, $"action: {best} ({CartPoleEnv.ActionNames[best]})");
            StringAssert.Contains(output, "q-values: push left ");
        }
    }

    [TestMethod]
    public void Rollout_on_the_runtime_scores_what_the_trainer_scores()
    {
        double trainer = s_trainer.Evaluate(20, seed: 3);
        var (code, output, err) = Run("rollout", s_f32, "--episodes", "20", "--seed", "3");
        Assert.AreEqual(0, code, err);
        StringAssert.Contains(output, $"mean return {trainer.ToString("F1", CultureInfo.InvariantCulture)} over 20 episodes");
        StringAssert.Contains(output, "physics default (as trained)");
    }

    [TestMethod]
    public void The_int8_blob_acts_like_the_float_network()
    {
        // 10,000 states the policy visits (ε = 0.05), none used for calibration (another seed). Where the
        // float network's two Q-values are 0.1 or more apart, int8 must choose as it does; many visited
        // states are near-ties (margins of 1e-4 relative), where 8-bit weights cannot follow every choice.
        const int N = 10_000;
        float[] states = DqnExport.VisitedStates(s_trainer.Agent, CartPoleOptions.Default, N, seed: 777);
        var qFloat = new float[N * 2];
        s_trainer.Agent.QValues(states, N, qFloat);
        using var it = Interp.Load(s_int8, new InterpreterOptions { MaxBatch = 1000 });
        int same = 0, decisive = 0, decisiveSame = 0;
        for (int s = 0; s < N; s += 1000)
        {
            states.AsSpan(s * 4, 4000).CopyTo(it.Input(1000));
            it.Invoke(1000);
            var q = it.Output(1000);
            for (int i = 0; i < 1000; i++)
            {
                float q0 = qFloat[2 * (s + i)], q1 = qFloat[(2 * (s + i)) + 1];
                bool agree = (q[(2 * i) + 1] > q[2 * i]) == (q1 > q0);
                same += agree ? 1 : 0;
                if (Math.Abs(q0 - q1) >= 0.1f)
                {
                    decisive++;
                    decisiveSame += agree ? 1 : 0;
                }
            }
        }

        Assert.IsGreaterThan(1000, decisive, "enough decisive states to judge");
        Assert.IsGreaterThanOrEqualTo(0.99 * decisive, decisiveSame, $"int8 takes the float action in {decisiveSame} of {decisive} decisive states");
        Assert.IsGreaterThanOrEqualTo(0.8 * N, same, $"int8 takes the float action in {same} of {N} visited states");

        var (code, output, err) = Run("rollout", s_int8, "--episodes", "100", "--seed", "9");
        Assert.AreEqual(0, code, err);
        double int8Mean = double.Parse(output.Split(' ')[2], CultureInfo.InvariantCulture);
        double floatMean = s_trainer.Evaluate(100, seed: 9);
        Assert.IsGreaterThan(0.6 * floatMean, int8Mean, $"greedy mean return of the int8 policy {int8Mean:F1} vs the float one {floatMean:F1} over the same 100 episodes");
    }

    [TestMethod]
    public void Bad_observations_and_non_DQN_blobs_are_refused_with_the_reason()
    {
        var (code, _, err) = Run("run", s_f32, "--obs", "0.1,0.2");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "--obs has 2 values but");
        StringAssert.Contains(err, "takes 4 (x [m], x_dot [m/s], theta [rad], theta_dot [rad/s])");
        StringAssert.Contains(err, "write e.g. --obs 0,0,0,0", "the example has one value per input");

        (code, _, err) = Run("run", s_f32, "--obs", "0,nan,0,0");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "'nan' is not a finite number");

        (code, _, err) = Run("rollout", s_f32, "--physics", "pole_mass=-1");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "'pole_mass' must be > 0");

        (code, _, err) = Run("run", s_f32);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "use --obs v1,v2,... for a vector model");
    }

    [TestMethod]
    public void The_blob_carries_the_observation_layout_actions_gamma_and_physics()
    {
        using var r = Formats.Enb.BlobReader.Open(s_int8);
        Assert.AreEqual("dqn", r.GetMetadata("general.architecture")!.AsString());
        CollectionAssert.AreEqual(new[] { "x", "x_dot", "theta", "theta_dot" }, r.GetMetadata("rl.observation_names")!.AsStringArray());
        CollectionAssert.AreEqual(new[] { "m", "m/s", "rad", "rad/s" }, r.GetMetadata("rl.observation_units")!.AsStringArray());
        CollectionAssert.AreEqual(new[] { "push left", "push right" }, r.GetMetadata("rl.action_names")!.AsStringArray());
        Assert.AreEqual(0.99f, (float)r.GetMetadata("rl.gamma")!.AsDouble());
        Assert.AreEqual("default", r.GetMetadata("rl.env_options")!.AsString());
        StringAssert.Contains(r.GetMetadata("rl.hyperparameters")!.AsString(), "\"gradient_steps\":128");
        Assert.AreEqual("int8", r.GetMetadata("quantization.scheme")!.AsString());
        Assert.AreEqual(1, r.GetMetadata("quantization.float_input_layer")!.AsInt64(), "the observation's features span ranges far apart: the first layer computes in float");
    }
}
