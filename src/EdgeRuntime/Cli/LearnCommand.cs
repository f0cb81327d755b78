using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeNet.Formats.Contract;
using EdgeNet.Rig.Environments;
using EdgeNet.Rig.Physics;
using EdgeNet.Runtime.Training.Rl;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Cli;

/// <summary>
/// <c>edgenet learn Q.enb --physics ... --steps N --out NEW.enb</c>: the board keeps learning. A host-trained
/// Q-network acts ε-greedily on a CartPole whose physics differ from those it was trained on (src/Rig: a
/// heavier pole, motor lag, latency, noise — a real rig's deviations), remembers every transition in a replay
/// ring and runs the DQN update between ticks (<see cref="DqnLearner"/>); the greedy return on that rig is
/// measured before and after, and the new weights are written as a blob.
/// </summary>
internal static class LearnCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "an f32 or f16 CartPole Q-network blob ('edgenet-train dqn --export')" };
        var physics = new Option<string?>("--physics") { Description = $"the rig's physics, key=value,... over CartPole-v1 (default: the blob's rl.env_options); keys: {CartPoleOptions.KnownKeys}" };
        var output = new Option<string>("--out") { Description = "the Q-network after learning (written atomically)", Required = true };
        var steps = new Option<int>("--steps") { Description = "environment steps (50 Hz ticks) to learn for", DefaultValueFactory = _ => 20_000 };
        var epsilon = new Option<double>("--epsilon") { Description = "exploration while learning (the trainer ends at 0.04)", DefaultValueFactory = _ => 0.04 };
        var learningStarts = new Option<int>("--learning-starts") { Description = "ticks of experience before the first update", DefaultValueFactory = _ => 1_000 };
        var trainEvery = new Option<int>("--train-every") { Description = "ticks between training bursts", DefaultValueFactory = _ => 256 };
        var gradientSteps = new Option<int>("--gradient-steps") { Description = "updates per burst", DefaultValueFactory = _ => 128 };
        var targetEvery = new Option<int>("--target-every") { Description = "ticks between target-network copies", DefaultValueFactory = _ => 10 };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate (fine-tuning: lower than the host's 2.3e-3)", DefaultValueFactory = _ => 5e-4f };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64 };
        var replayMb = new Option<int>("--replay-mb") { Description = "memory for the replay ring", DefaultValueFactory = _ => 16 };
        var layers = new Option<string>("--layers") { Description = "what learns: all, last:K or layer names", DefaultValueFactory = _ => "all" };
        var dbl = new Option<bool>("--double") { Description = "Double DQN targets" };
        var episodes = new Option<int>("--eval-episodes") { Description = "greedy episodes measured before and after", DefaultValueFactory = _ => 50 };
        var evalEvery = new Option<int>("--eval-every") { Description = "ticks between greedy evaluations that keep the best weights (0: keep the last); in simulation each is --select-episodes episodes on other starts", DefaultValueFactory = _ => 2_000 };
        var selectEpisodes = new Option<int>("--select-episodes") { Description = "greedy episodes per keep-the-best evaluation", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var variant = RunCommands.Variant();
        var threads = RunCommands.Threads();
        var cmd = new Command("learn", "Keep learning on the board: DQN updates between the ticks of a (simulated) rig whose physics differ from the host's, greedy return before and after.")
        {
            model, physics, output, steps, epsilon, learningStarts, trainEvery, gradientSteps, targetEvery, lr, batch, replayMb, layers, dbl, episodes, evalEvery, selectEpisodes, seed, variant, threads,
        };
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            string path = p.GetValue(model)!, outPath = p.GetValue(output)!;
            int n = p.GetValue(steps), every = p.GetValue(trainEvery), burst = p.GetValue(gradientSteps), target = p.GetValue(targetEvery), evalN = p.GetValue(episodes);
            if (n < 1 || every < 1 || burst < 1 || target < 1 || evalN < 1)
            {
                throw new ArgumentException("--steps, --train-every, --gradient-steps, --target-every and --eval-episodes must be at least 1");
            }

            var io = RunCommands.Options(p, variant, threads, evalN);
            CartPoleOptions env;
            string trained;
            double before;
            using (var it = Interp.Load(path, io))
            {
                if (it.InputSampleSize != 4 || it.OutputSampleSize != 2)
                {
                    throw new RuntimeModelException($"{path}: 'learn' needs a CartPole Q-network (4 observation values in, 2 action values out); this model takes {it.InputSampleSize} and gives {it.OutputSampleSize}");
                }

                trained = it.Blob.GetMetadata(MetadataKeys.EnvOptions)?.AsString() ?? "default";
                env = CartPoleOptions.Parse(p.GetValue(physics) ?? trained);
                before = CliFormat.Mean(RolloutCommand.GreedyReturns(it, env, evalN, p.GetValue(seed) + 1_000_000).Returns);
            }

            o.WriteLine($"rig physics {env.ToSpec()} (trained on {trained})");
            o.WriteLine($"before: greedy mean return {before.ToString("F1", Inv)} over {evalN} episodes");
            using var learner = DqnLearner.Load(path, new DqnLearnerOptions
            {
                BatchSize = p.GetValue(batch), LearningRate = p.GetValue(lr), DoubleDqn = p.GetValue(dbl), ReplayBytes = (long)p.GetValue(replayMb) << 20,
                Layers = p.GetValue(layers)!, Variant = io.Variant, Seed = p.GetValue(seed),
            });
            o.WriteLine($"learning {string.Join(", ", learner.Online.TrainableLayers)}: replay ring {learner.Replay.Capacity.ToString("N0", Inv)} transitions ({(learner.Replay.Bytes / 1048576.0).ToString("F1", Inv)} MiB), arenas {learner.ArenaBytes.ToString("N0", Inv)} B, ε {p.GetValue(epsilon).ToString(Inv)}");
            // Keep the best: the loaded policy is the first candidate, judged on starts apart from the final measurement's.
            int judgeEvery = p.GetValue(evalEvery), judgeN = Math.Max(1, p.GetValue(selectEpisodes));
            var judgeRig = new CartPoleEnv(env);
            double Judge()
            {
                double sum = 0;
                for (int i = 0; i < judgeN; i++)
                {
                    var ob = judgeRig.Reset(p.GetValue(seed) + 2_000_000 + i);
                    for (bool over = false; !over;)
                    {
                        var step = judgeRig.Step(learner.Act(ob));
                        sum += step.Reward;
                        over = step.Terminated || step.Truncated;
                        ob = judgeRig.Observation;
                    }
                }

                return sum / judgeN;
            }

            double best = judgeEvery > 0 ? Judge() : double.NaN;
            long bestTick = 0;
            var rig = new CartPoleEnv(env, p.GetValue(seed));
            var obs = new float[4];
            var next = new float[4];
            rig.Reset().CopyTo(obs);
            var recent = new Queue<float>();
            float episodeReturn = 0, loss = float.NaN;
            int episodesDone = 0;
            long trainTicks = 0;
            var sw = Stopwatch.StartNew();
            for (int t = 1; t <= n; t++)
            {
                int action = learner.Act(obs, p.GetValue(epsilon));
                var r = rig.Step(action);
                rig.Observation.CopyTo(next);
                learner.Remember(obs, action, r.Reward, next, r.Terminated);
                episodeReturn += r.Reward;
                if (r.Terminated || r.Truncated)
                {
                    recent.Enqueue(episodeReturn);
                    if (recent.Count > 20)
                    {
                        recent.Dequeue();
                    }

                    episodesDone++;
                    episodeReturn = 0;
                    rig.Reset().CopyTo(obs);
                }
                else
                {
                    next.CopyTo(obs);
                }

                if (t >= p.GetValue(learningStarts) && t % every == 0)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    for (int g = 0; g < burst; g++)
                    {
                        loss = learner.TrainStep();
                    }

                    learner.SyncActor();
                    trainTicks += Stopwatch.GetTimestamp() - t0;
                }

                if (t % target == 0)
                {
                    learner.UpdateTarget();
                }

                if (judgeEvery > 0 && t % judgeEvery == 0 && learner.GradientSteps > 0)
                {
                    double score = Judge();
                    if (score > best)
                    {
                        (best, bestTick) = (score, t);
                        learner.KeepBest();
                    }
                }

                if (t % Math.Max(1, n / 10) == 0)
                {
                    o.WriteLine($"  tick {t,7}: episodes {episodesDone,4}, mean return of the last {recent.Count} {CliFormat.Mean(recent).ToString("F1", Inv)}, loss {loss.ToString("F4", Inv)}, {learner.GradientSteps} updates");
                }
            }

            double updateUs = learner.GradientSteps > 0 ? trainTicks * 1e6 / Stopwatch.Frequency / learner.GradientSteps : 0;
            if (judgeEvery > 0)
            {
                learner.RestoreBest();
                o.WriteLine(bestTick > 0
                    ? $"kept the weights of tick {bestTick} (greedy {best.ToString("F1", Inv)} over {judgeN} selection episodes)"
                    : $"kept the loaded weights: no evaluation beat them (greedy {best.ToString("F1", Inv)} over {judgeN} selection episodes)");
            }

            learner.Save(outPath, $"CartPole rig {env.ToSpec()}: {n} ticks, {episodesDone} episodes, ε {p.GetValue(epsilon).ToString(Inv)}");
            double after;
            using (var it = Interp.Load(outPath, io))
            {
                after = CliFormat.Mean(RolloutCommand.GreedyReturns(it, env, evalN, p.GetValue(seed) + 1_000_000).Returns);
            }

            o.WriteLine($"after:  greedy mean return {after.ToString("F1", Inv)} over the same {evalN} episode starts");
            o.WriteLine($"wrote {outPath}: {n} ticks in {sw.Elapsed.TotalSeconds.ToString("F1", Inv)} s, {learner.GradientSteps} updates of {updateUs.ToString("F0", Inv)} us each (batch {p.GetValue(batch)}), peak RSS {(RunCommands.PeakRssBytes() / 1048576.0).ToString("F1", Inv)} MiB");
        }));
        return cmd;
    }
}
