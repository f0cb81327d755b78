using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Rig.Environments;
using EdgeNet.Rig.Physics;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Rl;

/// <summary>
/// Exports a trained Q-network as an .enb blob for the board (architecture <c>dqn</c>): the
/// observation layout with units, the action names, gamma, the hyperparameters and the physics it
/// was trained on. int8 activation ranges are calibrated on states the greedy policy visits.
/// </summary>
public static class DqnExport
{
    /// <summary>Observation names (units in <see cref="ObservationUnits"/>), the blob's <c>rl.observation_names</c>.</summary>
    public static readonly string[] ObservationNames = ["x", "x_dot", "theta", "theta_dot"];

    /// <summary>The units of the observation values, in order.</summary>
    public static readonly string[] ObservationUnits = ["m", "m/s", "rad", "rad/s"];

    /// <summary>States visited by the online network's ε-greedy policy (ε small), [count, 4] row-major.</summary>
    public static float[] VisitedStates(DqnAgent agent, CartPoleOptions environment, int count, int seed, float epsilon = 0.05f)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var env = new CartPoleEnv(environment);
        var rng = new Random(seed);
        var states = new float[count * 4];
        env.Reset(seed);
        for (int i = 0; i < count; i++)
        {
            env.Observation.CopyTo(states.AsSpan(i * 4, 4));
            int action = rng.NextDouble() < epsilon ? rng.Next(2) : agent.Act(env.Observation);
            if (env.Step(action).Done)
            {
                env.Reset();
            }
        }

        return states;
    }

    /// <summary>Writes the blob; <paramref name="training"/> adds provenance (e.g. training.solved_at).</summary>
    public static ExportReport Export(DqnAgent agent, string path, QuantizationScheme scheme, CartPoleOptions environment,
        IReadOnlyDictionary<string, EnbValue>? training = null, int calibrationStates = 2_000, int seed = 12345)
    {
        ArgumentNullException.ThrowIfNull(agent);
        float[] states = VisitedStates(agent, environment, calibrationStates, seed);
        var calibration = new List<NDArray>();
        for (int s = 0; s < calibrationStates; s += 500)
        {
            int n = Math.Min(500, calibrationStates - s);
            calibration.Add(new NDArray(states.AsSpan(s * 4, n * 4).ToArray(), n, 4));
        }

        var meta = new Dictionary<string, EnbValue>
        {
            [MetadataKeys.Algorithm.Name] = EnbValue.String(agent.Options.DoubleDqn ? "double_dqn" : "dqn"),
            [MetadataKeys.Environment.Name] = EnbValue.String("CartPole-v1"),
            [MetadataKeys.EnvOptions.Name] = EnbValue.String(environment.ToSpec()),
            [MetadataKeys.ObservationNames.Name] = EnbValue.Strings(ObservationNames),
            [MetadataKeys.ObservationUnits.Name] = EnbValue.Strings(ObservationUnits),
            [MetadataKeys.ActionNames.Name] = EnbValue.Strings(CartPoleEnv.ActionNames),
            [MetadataKeys.Gamma.Name] = EnbValue.F32(agent.Options.Gamma),
            [MetadataKeys.Hyperparameters.Name] = EnbValue.String(agent.Options.ToJson().ToJsonString()),
        };
        foreach (var (k, v) in training ?? new Dictionary<string, EnbValue>())
        {
            meta[k] = v;
        }

        return ModelExporter.ExportSamples(agent.Online, path, new QuantizationOptions { Scheme = scheme, FloatOutputLayer = true }, calibration, meta);
    }
}
