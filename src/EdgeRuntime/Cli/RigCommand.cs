using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using EdgeNet.Rig.CartPole;
using EdgeNet.Rig.Config;
using EdgeNet.Rig.Control;
using EdgeNet.Rig.Physics;
using EdgeNet.Rig.Simulation;
using EdgeNet.Runtime.Training.Rl;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Cli;

/// <summary>
/// <c>edgenet rig selftest|run|train</c>: the cart-pole rig over GPIO, physical (<c>--config rig.json</c> on a
/// board) or simulated at the GPIO level (<c>--simulated</c>, physics from <c>--physics</c>). SIGINT and SIGTERM
/// stop the motor at once; <c>train</c> then writes its checkpoint and its result.
/// </summary>
internal static class RigCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create(TextWriter o, TextWriter e)
    {
        var cmd = new Command("rig", "The cart-pole rig over GPIO (a board's pins, or the simulated rig): self-test, balance with a Q-network, learn on it.");
        cmd.Subcommands.Add(SelfTest(o, e));
        cmd.Subcommands.Add(Calibrate(o, e));
        cmd.Subcommands.Add(RunPolicy(o, e));
        if (Features.Training)
        {
            cmd.Subcommands.Add(Train(o, e));
        }

        return cmd;
    }

    private sealed class Common
    {
        public Option<string?> Config { get; } = new("--config") { Description = "the rig's wiring and limits (JSON; 'edgenet rig selftest --write-config rig.json' writes the defaults)" };
        public Option<bool> Simulated { get; } = new("--simulated") { Description = "the simulated rig: the same device code over a simulated GPIO chip driven by the cart-pole physics" };
        public Option<string?> Physics { get; } = new("--physics") { Description = $"with --simulated: the rig's physics, key=value,... over CartPole-v1; keys: {CartPoleOptions.KnownKeys}" };
        public Option<bool> RealTime { get; } = new("--realtime") { Description = "with --simulated: tick on the wall clock at the configured rate (measures jitter) instead of as fast as the board computes" };
        public Option<int> Seed { get; } = new("--seed") { DefaultValueFactory = _ => 1 };
        public Option<int> RealtimePriority { get; } = new("--realtime-priority") { Description = "SCHED_FIFO priority 1-99 for the control loop's thread only (needs LimitRTPRIO= or root; 0: normal)", DefaultValueFactory = _ => 0 };

        public void AddTo(Command c)
        {
            c.Options.Add(RealtimePriority);
            c.Options.Add(Config);
            c.Options.Add(Simulated);
            c.Options.Add(Physics);
            c.Options.Add(RealTime);
            c.Options.Add(Seed);
        }

        /// <summary>Opens the rig the options name; the caller disposes the returned owner.</summary>
        public (GpioCartPoleRig Rig, IDisposable Owner, string Description) Open(ParseResult p, string? simulatedHardware = null) =>
            OpenRig(p.GetValue(Config), p.GetValue(Simulated), p.GetValue(Physics), p.GetValue(RealTime), p.GetValue(Seed), simulatedHardware);
    }

    /// <summary>
    /// Opens a rig: the simulated one over GPIO (<paramref name="simulated"/>; a rig.json at <paramref name="path"/> gives its
    /// wiring) or the board's, wired as <paramref name="path"/> says. The caller disposes the returned owner.
    /// </summary>
    internal static (GpioCartPoleRig Rig, IDisposable Owner, string Description) OpenRig(string? path, bool simulated, string? physicsSpec, bool realTime, int seed, string? simulatedHardware = null)
    {
        var config = path is null ? RigConfig.Default() : RigConfig.Load(path);
        if (simulated)
        {
            var physics = CartPoleOptions.Parse(physicsSpec);
            // A rig.json naming a board: its header pins become the lines the board's pin map gives them.
            var wired = config.Board == "none" ? config : Rig.Boards.RigWiring.ForSimulation(config, path ?? "rig.json").Lines;
            var built = simulatedHardware is null ? null : RigConfig.Load(simulatedHardware);
            var hardware = built is null || built.Board == "none" ? built : Rig.Boards.RigWiring.ForSimulation(built, simulatedHardware!).Lines;
            var sim = SimulatedRig.Open(wired, physics, seed, realTime, operatorResets: simulatedHardware is null, hardware: hardware);
            if (simulatedHardware is not null)
            {
                return (sim.Rig, sim, $"simulated rig over GPIO built as {simulatedHardware} (virtual time)");
            }

            return (sim.Rig, sim, $"simulated rig over GPIO ({(realTime ? "real time" : "virtual time")}), physics {physics.ToSpec()}");
        }

        if (path is null)
        {
            throw new ArgumentException("--config rig.json is required on a physical rig (or add --simulated)");
        }

        if (physicsSpec is not null || realTime)
        {
            throw new ArgumentException("--physics and --realtime describe the simulated rig: add --simulated, or leave them out on hardware");
        }

        var hw = HardwareRig.Open(config, path);
        return (hw.Rig, hw, $"rig on GPIO ({path})");
    }

    /// <summary>SIGINT/SIGTERM: the motor stops in the handler (not at the next tick), then the loop ends.</summary>
    internal static (CancellationTokenSource Cancel, IDisposable[] Signals) StopOnSignals(GpioCartPoleRig rig)
    {
        var cts = new CancellationTokenSource();
        IDisposable Register(PosixSignal s) => PosixSignalRegistration.Create(s, ctx =>
        {
            ctx.Cancel = true;
            rig.Halt(s.ToString());
            cts.Cancel();
        });

        return (cts, [Register(PosixSignal.SIGINT), Register(PosixSignal.SIGTERM)]);
    }

    private static Command SelfTest(TextWriter o, TextWriter e)
    {
        var common = new Common();
        var write = new Option<string?>("--write-config") { Description = "write the default configuration to this file and stop" };
        var cmd = new Command("selftest", "Check the rig: switches released, the motor moves the cart both ways, both encoders count, no edges lost.") { write };
        common.AddTo(cmd);
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            if (p.GetValue(write) is { } file)
            {
                Formats.Enb.AtomicFile.Write(file, s => s.Write(System.Text.Encoding.UTF8.GetBytes(RigConfig.Default().ToJson() + "\n")));
                o.WriteLine($"wrote {file}: the default wiring (see src/Rig/Devices/*/README.md); edit the pins, resolutions and rail length to your rig");
                return;
            }

            var (rig, owner, what) = common.Open(p);
            using (owner)
            {
                o.WriteLine($"self-test of the {what}");
                var checks = RigSelfTest.Run(rig);
                foreach (var c in checks)
                {
                    o.WriteLine($"  {(c.Passed ? "ok  " : "FAIL")} {c.Name,-13} {c.Detail}");
                }

                int failed = 0;
                foreach (var c in checks)
                {
                    failed += c.Passed ? 0 : 1;
                }

                o.WriteLine(failed == 0 ? "self-test passed" : $"self-test: {failed} of {checks.Count} checks failed");
                if (failed > 0)
                {
                    throw new RigHardwareCheckFailed();
                }
            }
        }));
        return cmd;
    }

    private static Command Calibrate(TextWriter o, TextWriter e)
    {
        var common = new Common();
        var write = new Option<string>("--write") { Description = "where to write the calibrated rig.json (atomically; may be the --config file)", Required = true };
        var hardware = new Option<string?>("--simulated-hardware") { Description = "with --simulated: the rig as really built (rig.json of the truth) — what calibration should find" };
        var cmd = new Command("calibrate", "Guided bring-up: the motor's dead band and direction, the encoders' directions and counts per revolution, the end switches; writes rig.json.") { write, hardware };
        common.AddTo(cmd);
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            string? built = p.GetValue(hardware);
            if (built is not null && !p.GetValue(common.Simulated))
            {
                throw new ArgumentException("--simulated-hardware describes the simulated rig: add --simulated");
            }

            var original = p.GetValue(common.Config) is { } path ? RigConfig.Load(path) : RigConfig.Default();
            var (rig, owner, what) = common.Open(p, built);
            using (owner)
            {
                ICalibrationOperator person = owner is SimulatedRig sim ? new SimulatedCalibrationOperator(sim.Plant) : new ConsoleCalibrationOperator(o);
                o.WriteLine($"calibrating the {what}: the cart drives slowly to each end switch; keep hands clear");
                var (cts, signals) = StopOnSignals(rig);
                try
                {
                    var result = RigCalibration.Run(rig, person, cts.Token);
                    foreach (var f in result.Findings)
                    {
                        o.WriteLine($"  {f.Name,-16} {f.Value,-18} {f.Detail}");
                    }

                    var calibrated = result.ApplyTo(original);
                    Formats.Enb.AtomicFile.Write(p.GetValue(write)!, s => s.Write(System.Text.Encoding.UTF8.GetBytes(calibrated.ToJson() + "\n")));
                    o.WriteLine($"wrote {p.GetValue(write)}: run 'edgenet rig selftest --config {p.GetValue(write)}' next");
                }
                finally
                {
                    rig.Halt("calibration ended");
                    Array.ForEach(signals, s => s.Dispose());
                    cts.Dispose();
                }
            }
        }));
        return cmd;
    }

    /// <summary>A person at the rig: the instruction on the console, Enter when done.</summary>
    private sealed class ConsoleCalibrationOperator(TextWriter o) : ICalibrationOperator
    {
        public void TurnPoleOneRevolution(string instruction)
        {
            o.WriteLine($"  now {instruction}");
            o.Flush();
            _ = Console.ReadLine();
        }
    }

    private static Command RunPolicy(TextWriter o, TextWriter e)
    {
        var common = new Common();
        var model = new Option<string>("--model") { Description = "a CartPole Q-network blob (int8, f16 or f32)", Required = true };
        var episodes = new Option<int>("--episodes") { DefaultValueFactory = _ => 10 };
        var variant = RunCommands.Variant();
        var threads = RunCommands.Threads();
        var cmd = new Command("run", "Balance the pole with a Q-network blob: greedy actions at the rig's tick, per-episode return and why it ended, loop timing.") { model, episodes, variant, threads };
        common.AddTo(cmd);
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            int n = p.GetValue(episodes);
            if (n < 1)
            {
                throw new ArgumentException("--episodes must be at least 1");
            }

            using var it = Interp.Load(p.GetValue(model)!, RunCommands.Options(p, variant, threads, 1));
            CheckQNetwork(it, p.GetValue(model)!);
            var (rig, owner, what) = common.Open(p);
            using (owner)
            {
                var (cts, signals) = StopOnSignals(rig);
                using var service = ServiceLoop.Attach(rig, what, p.GetValue(common.RealtimePriority));
                try
                {
                    o.WriteLine($"{what}; policy {p.GetValue(model)} ({it.Options.Variant.ToString().ToLowerInvariant()} kernels)");
                    var returns = new List<float>();
                    for (int ep = 0; ep < n && !cts.IsCancellationRequested; ep++)
                    {
                        ReadOnlySpan<float> obs;
                        try
                        {
                            obs = rig.Reset(null, cts.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }

                        float ret = 0;
                        for (bool done = false; !done;)
                        {
                            var r = rig.Step(it.ArgMax(obs));
                            ret += r.Reward;
                            done = r.Done;
                            obs = rig.Observation;
                        }

                        returns.Add(ret);
                        o.WriteLine($"  episode {ep + 1,3}: return {ret,4:F0}  {rig.TerminationReason ?? "truncated at the episode limit"}");
                    }

                    o.WriteLine(returns.Count == 0 ? "stopped before the first episode" : $"greedy mean return {CliFormat.Mean(returns).ToString("F1", Inv)} over {returns.Count} episodes; {Timing(rig)}");
                }
                finally
                {
                    rig.Halt("run ended");
                    Array.ForEach(signals, s => s.Dispose());
                    cts.Dispose();
                }
            }
        }));
        return cmd;
    }

    private static Command Train(TextWriter o, TextWriter e)
    {
        var common = new Common();
        var model = new Option<string>("--model") { Description = "an f32 or f16 CartPole Q-network blob ('edgenet-train dqn --export ... --quantize f32')", Required = true };
        var output = new Option<string>("--out") { Description = "the kept-best Q-network after learning (written atomically)", Required = true };
        var ticks = new Option<long>("--ticks") { Description = "control ticks to learn for (50 Hz: 20,000 = 400 s of rig time)", DefaultValueFactory = _ => 20_000 };
        var epsilon = new Option<double>("--epsilon") { DefaultValueFactory = _ => 0.04 };
        var learningStarts = new Option<long>("--learning-starts") { Description = "ticks of experience before the first update", DefaultValueFactory = _ => 1_000 };
        var ratio = new Option<double>("--train-ratio") { Description = "gradient steps per tick, spread over the ticks (0.5: the zoo's 128 per 256 steps)", DefaultValueFactory = _ => 0.5 };
        var targetEvery = new Option<int>("--target-every") { DefaultValueFactory = _ => 10 };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate (fine-tuning on the rig: well below the host's 2.3e-3)", DefaultValueFactory = _ => 1e-4f };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64 };
        var replayMb = new Option<int>("--replay-mb") { DefaultValueFactory = _ => 16 };
        var layers = new Option<string>("--layers") { DefaultValueFactory = _ => "all" };
        var dbl = new Option<bool>("--double") { Description = "Double DQN targets (on by default; --double false for plain DQN)", DefaultValueFactory = _ => true };
        var judgeEvery = new Option<long>("--judge-every") { Description = "learning ticks between greedy judgements on the rig that keep the best weights (0: keep the last)", DefaultValueFactory = _ => 1_000 };
        var judgeEpisodes = new Option<int>("--judge-episodes") { Description = "greedy episodes per judgement", DefaultValueFactory = _ => 5 };
        var confirmEpisodes = new Option<int>("--confirm-episodes") { Description = "more greedy episodes before a judgement that beats the best is kept (0: none)", DefaultValueFactory = _ => 20 };
        var evalEpisodes = new Option<int>("--eval-episodes") { Description = "greedy episodes measured on the rig before and after", DefaultValueFactory = _ => 20 };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "episodes between checkpoints (also written on shutdown)", DefaultValueFactory = _ => 20 };
        var checkpointDir = new Option<string?>("--checkpoint-dir") { Description = "default: OUT.ckpt" };
        var resume = new Option<bool>("--resume") { Description = "continue from the checkpoint folder's last checkpoint" };
        var log = new Option<string?>("--log") { Description = "episode log (CSV; 'edgenet-train plot LOG.csv' draws it); default: OUT without .enb + .csv" };
        var variant = RunCommands.Variant();
        var cmd = new Command("train", "The board learns on the rig: act every tick, DQN updates between ticks, keep the best greedy policy, checkpoint and resume.")
        {
            model, output, ticks, epsilon, learningStarts, ratio, targetEvery, lr, batch, replayMb, layers, dbl, judgeEvery, judgeEpisodes, confirmEpisodes, evalEpisodes, checkpointEvery, checkpointDir, resume, log, variant,
        };
        common.AddTo(cmd);
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            string modelPath = p.GetValue(model)!, outPath = p.GetValue(output)!;
            string ckpt = p.GetValue(checkpointDir) ?? outPath + ".ckpt";
            string logPath = p.GetValue(log) ?? Path.ChangeExtension(outPath, ".csv");
            int ckptEvery = p.GetValue(checkpointEvery), evalN = p.GetValue(evalEpisodes);
            if (p.GetValue(ticks) < 1 || ckptEvery < 1 || evalN < 1 || !(p.GetValue(ratio) is > 0 and <= 64))
            {
                throw new ArgumentException("--ticks, --checkpoint-every and --eval-episodes must be at least 1 and --train-ratio in (0, 64]");
            }

            using (var it = Interp.Load(modelPath, new InterpreterOptions { MaxBatch = 1 }))
            {
                CheckQNetwork(it, modelPath);
            }

            var resumed = p.GetValue(resume) ? RigCheckpoint.TryLoad(ckpt) : null;
            var learnerOptions = new DqnLearnerOptions
            {
                BatchSize = p.GetValue(batch), LearningRate = p.GetValue(lr), DoubleDqn = p.GetValue(dbl), ReplayBytes = (long)p.GetValue(replayMb) << 20,
                Layers = p.GetValue(layers)!, Variant = RunCommands.Options(p, variant, RunCommands.Threads(), 1).Variant, Seed = p.GetValue(common.Seed),
            };
            using var learner = resumed is null
                ? DqnLearner.Load(modelPath, learnerOptions)
                : DqnLearner.Load(Path.Combine(ckpt, resumed.Online), learnerOptions, Path.Combine(ckpt, resumed.Best));
            var (rig, owner, what) = common.Open(p);
            using (owner)
            {
                var (cts, signals) = StopOnSignals(rig);
                using var service = ServiceLoop.Attach(rig, what, p.GetValue(common.RealtimePriority));
                var loop = new RigDqnLoop(rig, learner, new RigDqnLoopOptions
                {
                    Epsilon = p.GetValue(epsilon), LearningStarts = p.GetValue(learningStarts), GradientStepsPerTick = p.GetValue(ratio), TargetEvery = Math.Max(1, p.GetValue(targetEvery)),
                    JudgeEvery = p.GetValue(judgeEvery), JudgeEpisodes = Math.Max(1, p.GetValue(judgeEpisodes)), ConfirmEpisodes = Math.Max(0, p.GetValue(confirmEpisodes)),
                });
                using var csv = new StreamWriter(logPath, append: resumed is not null);
                try
                {
                    o.WriteLine($"{what}; learning {string.Join(", ", learner.Online.TrainableLayers)} of {modelPath}: replay ring {learner.Replay.Capacity.ToString("N0", Inv)} transitions, arenas {learner.ArenaBytes.ToString("N0", Inv)} B, ε {p.GetValue(epsilon).ToString(Inv)}, {p.GetValue(ratio).ToString(Inv)} gradient steps per tick");
                    if (resumed is not null)
                    {
                        (loop.Episodes, loop.Ticks, loop.BestJudged, loop.BestEpisode) = (resumed.Episodes, resumed.Ticks, resumed.BestJudged, resumed.BestEpisode);
                        o.WriteLine($"resumed from {ckpt}: episode {resumed.Episodes}, tick {resumed.Ticks.ToString("N0", Inv)}, best greedy {resumed.BestJudged.ToString("F1", Inv)} (the replay ring refills: learning starts again after {p.GetValue(learningStarts)} ticks)");
                    }
                    else
                    {
                        csv.WriteLine("episode,kind,ticks,return,mean_last_100,reason,loss,gradient_steps,jitter_p99_ms,work_p99_ms,overruns");
                    }

                    double before = loop.Evaluate(evalN, cts.Token);
                    o.WriteLine($"before: greedy mean return {before.ToString("F1", Inv)} over {evalN} episodes on the rig");
                    var recent = new Queue<float>();
                    var sw = Stopwatch.StartNew();
                    var checkpoint = new RigCheckpoint { Model = modelPath };
                    if (resumed is not null)
                    {
                        checkpoint.InUse.Add(resumed.Online);
                        checkpoint.InUse.Add(resumed.Best);
                    }

                    void Checkpoint()
                    {
                        (checkpoint.Episodes, checkpoint.Ticks, checkpoint.BestJudged, checkpoint.BestEpisode, checkpoint.GradientSteps) = (loop.Episodes, loop.Ticks, loop.BestJudged, loop.BestEpisode, learner.GradientSteps);
                        rig.Watchdog.Disarm();
                        checkpoint.Save(ckpt, learner, $"edgenet rig train: {loop.Ticks} ticks, {loop.Episodes} episodes on the {what}");
                    }

                    loop.EpisodeEnded += ep =>
                    {
                        if (!ep.Greedy)
                        {
                            recent.Enqueue(ep.Return);
                            if (recent.Count > 100)
                            {
                                recent.Dequeue();
                            }
                        }

                        double mean = CliFormat.Mean(recent);
                        csv.WriteLine(string.Create(Inv, $"{ep.Episode},{(ep.Greedy ? "greedy" : "train")},{ep.Ticks},{ep.Return:F0},{mean:F1},\"{ep.Reason ?? "truncated"}\",{ep.Loss:G5},{learner.GradientSteps},{rig.Stats.Jitter(0.99) * 1000:F3},{rig.Stats.Work(0.99) * 1000:F3},{rig.Stats.Overruns}"));
                        if (!ep.Greedy && ep.Episode % ckptEvery == 0)
                        {
                            Checkpoint();
                        }

                        if (!ep.Greedy && ep.Episode % 10 == 0)
                        {
                            o.WriteLine(string.Create(Inv, $"  episode {ep.Episode,5}  tick {ep.Ticks,7}  return {ep.Return,4:F0}  mean of the last {recent.Count} {mean,6:F1}  ε {p.GetValue(epsilon)}  loss {ep.Loss:F4}  {Timing(rig)}"));
                        }
                    };
                    loop.Judged += (score, kept) => o.WriteLine(string.Create(Inv, $"  judged at tick {loop.Ticks,7} (episode {loop.Episodes}): greedy mean {score,6:F1}{(kept ? "  <- kept as best" : "")}"));
                    try
                    {
                        loop.Run(p.GetValue(ticks), cts.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        // a signal between episodes: the motor is stopped; checkpoint and write below
                    }
                    finally
                    {
                        rig.Halt(cts.IsCancellationRequested ? "stopped by a signal" : "training ended");
                        Checkpoint();
                        csv.Flush();
                    }

                    if (p.GetValue(judgeEvery) > 0)
                    {
                        learner.RestoreBest();
                        o.WriteLine(loop.BestEpisode > 0
                            ? $"kept the weights judged at episode {loop.BestEpisode} (greedy {loop.BestJudged.ToString("F1", Inv)})"
                            : $"kept the loaded weights: no judgement beat them (greedy {loop.BestJudged.ToString("F1", Inv)})");
                    }

                    string learning = Timing(rig);
                    learner.Save(outPath, $"edgenet rig train on the {what}: {loop.Ticks} ticks, {loop.Episodes} episodes");
                    if (!cts.IsCancellationRequested)
                    {
                        rig.Motor.Rearm();
                        double after = loop.Evaluate(evalN, cts.Token);
                        o.WriteLine($"after:  greedy mean return {after.ToString("F1", Inv)} over {evalN} episodes on the rig");
                    }

                    o.WriteLine($"wrote {outPath} (checkpoint {ckpt}, log {logPath}): {loop.Ticks.ToString("N0", Inv)} ticks, {loop.Episodes} episodes, {learner.GradientSteps.ToString("N0", Inv)} updates in {sw.Elapsed.TotalSeconds.ToString("F1", Inv)} s; while learning, {learning}; peak RSS {(RunCommands.PeakRssBytes() / 1048576.0).ToString("F1", Inv)} MiB");
                }
                finally
                {
                    Array.ForEach(signals, s => s.Dispose());
                    cts.Dispose();
                }
            }
        }));
        return cmd;
    }

    internal static string Timing(GpioCartPoleRig rig)
    {
        var s = rig.Stats;
        double period = rig.Config.Period;
        return string.Create(Inv, $"loop: work p50 {s.Work(0.5) * 1000:F3} ms p99 {s.Work(0.99) * 1000:F3} ms ({100 * s.Work(0.99) / period:F1}% of the {period * 1000:F0} ms period), jitter p50 {s.Jitter(0.5) * 1000:F3} ms p99 {s.Jitter(0.99) * 1000:F3} ms, overruns {s.Overruns} of {s.Ticks} ticks");
    }

    internal static void CheckQNetwork(Interp it, string path)
    {
        if (it.InputSampleSize != 4 || it.OutputSampleSize != 2)
        {
            throw new RuntimeModelException($"{path}: the rig needs a CartPole Q-network (4 observation values in, 2 action values out); this model takes {it.InputSampleSize} and gives {it.OutputSampleSize}");
        }
    }
}

/// <summary>The self-test found a fault (already printed); exit code 1.</summary>
internal sealed class RigHardwareCheckFailed : Exception;
