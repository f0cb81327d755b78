using EdgeNet.Formats.Contract;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using EdgeNet.Rig.Environments;
using EdgeNet.Rig.Physics;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Cli;

/// <summary>
/// <c>edgenet rollout Q.enb --episodes 100</c>: the greedy policy of an exported Q-network in the
/// CartPole physics (src/Rig), on this runtime — every episode in lockstep, one batched Invoke per
/// tick. The physics default to those the blob was trained on (rl.env_options).
/// </summary>
internal static class RolloutCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "a Q-network blob exported by 'edgenet-train dqn --export'" };
        var episodes = new Option<int>("--episodes") { DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "episode i starts from reset(seed + i)", DefaultValueFactory = _ => 1 };
        var physics = new Option<string?>("--physics") { Description = $"CartPole physics key=value,... over CartPole-v1 (default: the blob's rl.env_options); keys: {CartPoleOptions.KnownKeys}" };
        var variant = RunCommands.Variant();
        var threads = RunCommands.Threads();
        var cmd = new Command("rollout", "Run the greedy policy of a Q-network blob on CartPole episodes and print the mean return.") { model, episodes, seed, physics, variant, threads };
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            string path = p.GetValue(model)!;
            int n = p.GetValue(episodes);
            if (n < 1)
            {
                throw new ArgumentException("--episodes must be >= 1");
            }

            using var it = Interp.Load(path, RunCommands.Options(p, variant, threads, maxBatch: n));
            if (it.InputSampleSize != 4 || it.OutputSampleSize != 2)
            {
                throw new RuntimeModelException($"{path}: 'rollout' needs a CartPole Q-network (4 observation values in, 2 action values out); this model takes {it.InputSampleSize} and gives {it.OutputSampleSize}");
            }

            string trained = it.Blob.GetMetadata(MetadataKeys.EnvOptions)?.AsString() ?? "default";
            var env = CartPoleOptions.Parse(p.GetValue(physics) ?? trained);
            var sw = Stopwatch.StartNew();
            var (returns, invokes) = GreedyReturns(it, env, n, p.GetValue(seed));
            double ms = sw.Elapsed.TotalMilliseconds;
            o.WriteLine($"mean return {CliFormat.Mean(returns).ToString("F1", Inv)} over {n} episodes (min {TensorPrimitives.Min<float>(returns).ToString("F0", Inv)}, max {TensorPrimitives.Max<float>(returns).ToString("F0", Inv)}), physics {env.ToSpec()}{(p.GetValue(physics) is null ? " (as trained)" : $" (trained on {trained})")}");
            o.WriteLine($"{CliFormat.Sum(returns).ToString("F0", Inv)} actions in {ms.ToString("F0", Inv)} ms: {invokes} batched invokes, {(1000 * ms / invokes).ToString("F1", Inv)} us each, kernels {it.Options.Variant.ToString().ToLowerInvariant()}");
        }));
        return cmd;
    }

    /// <summary>The greedy policy's return in each of <paramref name="episodes"/> episodes (all in lockstep, one batched Invoke per tick), and the Invokes it took.</summary>
    internal static (float[] Returns, long Invokes) GreedyReturns(Interp it, CartPoleOptions env, int episodes, int seed)
    {
        long invokes = 0;
        var returns = Rollout.Returns((obs, count, actions) =>
        {
            obs.CopyTo(it.Input(count));
            it.Invoke(count);
            var q = it.Output(count);
            for (int i = 0; i < count; i++)
            {
                actions[i] = Rollout.ArgMax(q.Slice(i * 2, 2));
            }

            invokes++;
        }, env, episodes, seed);
        return (returns, invokes);
    }
}
