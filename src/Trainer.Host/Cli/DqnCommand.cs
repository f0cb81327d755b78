using EdgeNet.Formats.Contract;
using System.CommandLine;
using System.Globalization;
using EdgeNet.Formats.Enb;
using EdgeNet.Rig.Physics;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Rl;
using Spectre.Console;

namespace EdgeNet.Trainer.Cli;

/// <summary><c>edgenet-train dqn</c>: the chapter's deep Q-learning on CartPole, with the rl-baselines3-zoo hyperparameters.</summary>
internal static class DqnCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var d = new DqnOptions();
        var steps = new Option<int>("--steps") { Description = "env steps", DefaultValueFactory = _ => d.TotalSteps };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => d.Seed };
        var device = DeviceOptions.Create();
        var threads = new Option<int>("--threads") { Description = "CPU threads for the GEMMs (default 1: at batch 64 the Q-network's products are too small for a second thread to pay; measured 27% slower with 2)", DefaultValueFactory = _ => 1 };
        var hidden = new Option<string>("--hidden") { Description = "hidden layer widths", DefaultValueFactory = _ => string.Join(',', d.Hidden) };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => d.LearningRate };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => d.BatchSize };
        var bufferSize = new Option<int>("--buffer-size") { DefaultValueFactory = _ => d.BufferSize };
        var starts = new Option<int>("--learning-starts") { DefaultValueFactory = _ => d.LearningStarts };
        var gamma = new Option<float>("--gamma") { DefaultValueFactory = _ => d.Gamma };
        var targetUpdate = new Option<int>("--target-update") { Description = "env steps between hard target-network updates", DefaultValueFactory = _ => d.TargetUpdateInterval };
        var trainFreq = new Option<int>("--train-freq") { Description = "env steps between training rounds", DefaultValueFactory = _ => d.TrainFrequency };
        var gradientSteps = new Option<int>("--gradient-steps") { Description = "gradient steps per training round", DefaultValueFactory = _ => d.GradientSteps };
        var fraction = new Option<float>("--exploration-fraction") { DefaultValueFactory = _ => d.ExplorationFraction };
        var finalEps = new Option<float>("--final-eps") { DefaultValueFactory = _ => d.FinalEpsilon };
        var clip = new Option<float>("--max-grad-norm") { Description = "global gradient-norm clip", DefaultValueFactory = _ => d.MaxGradNorm ?? 10f };
        var dbl = new Option<bool>("--double") { Description = "Double DQN (the online network picks the next action, the target values it)" };
        var evalEvery = new Option<int>("--eval-every") { Description = "env steps between greedy evaluations (20 episodes)", DefaultValueFactory = _ => d.EvalEvery };
        var stop = new Option<bool>("--stop-when-solved") { Description = "end the run at the first solved evaluation" };
        var physics = new Option<string>("--physics") { Description = $"CartPole physics as key=value,... (default: CartPole-v1); keys: {CartPoleOptions.KnownKeys}", DefaultValueFactory = _ => "default" };
        var output = new Option<string?>("--out") { Description = "save the float Q-network (F.keras.enb); the returns curve (.png) and episode log (.csv) go next to it" };
        var export = new Option<string?>("--export") { Description = "also export an .enb blob for the board here ('edgenet run --obs', 'edgenet rollout')" };
        var quantize = new Option<string>("--quantize") { Description = "blob scheme for --export: f32 | f16 | int8, or several comma-separated (then each blob is named NAME-SCHEME.enb)", DefaultValueFactory = _ => "f32" };
        var cmd = new Command("dqn", "Deep Q-learning on CartPole-v1 (the chapter's last model) with the rl-baselines3-zoo hyperparameters.")
        {
            steps, seed, device, threads, hidden, lr, batch, bufferSize, starts, gamma, targetUpdate, trainFreq, gradientSteps, fraction, finalEps, clip, dbl,
            evalEvery, stop, physics, output, export, quantize,
        };
        cmd.SetAction(p => Cli.Guard(() =>
        {
            var options = new DqnOptions
            {
                TotalSteps = p.GetValue(steps),
                Seed = p.GetValue(seed),
                Hidden = ParseHidden(p.GetValue(hidden)!),
                LearningRate = p.GetValue(lr),
                BatchSize = p.GetValue(batch),
                BufferSize = p.GetValue(bufferSize),
                LearningStarts = p.GetValue(starts),
                Gamma = p.GetValue(gamma),
                TargetUpdateInterval = p.GetValue(targetUpdate),
                TrainFrequency = p.GetValue(trainFreq),
                GradientSteps = p.GetValue(gradientSteps),
                ExplorationFraction = p.GetValue(fraction),
                FinalEpsilon = p.GetValue(finalEps),
                MaxGradNorm = p.GetValue(clip),
                DoubleDqn = p.GetValue(dbl),
                EvalEvery = p.GetValue(evalEvery),
                StopWhenSolved = p.GetValue(stop),
            };
            var schemes = p.GetValue(quantize)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseScheme).Distinct().ToArray();
            var env = CartPoleOptions.Parse(p.GetValue(physics));
            if (p.GetValue(threads) < 1)
            {
                throw new ArgumentException("--threads must be >= 1");
            }

            EdgeNet.Trainer.Backends.Cpu.CpuBackend.MaxThreads = p.GetValue(threads);
            using var backend = EdgeNet.Trainer.Backends.Device.Select(p.GetValue(device));
            KerasBackend.SetRandomSeed(options.Seed);
            var trainer = new DqnTrainer(options, env);
            Console.WriteLine($"dqn on CartPole-v1 (physics {env.ToSpec()}), seed {options.Seed}, device {EdgeNet.Trainer.Backends.Device.Name}");
            Console.WriteLine($"  {options}");
            var result = Run(trainer);
            PrintResult(options, result);

            var provenance = new Dictionary<string, EnbValue>
            {
                [MetadataKeys.EnvSteps.Name] = EnbValue.I64(result.Episodes.Count == 0 ? 0 : result.Episodes[^1].EnvSteps),
                [MetadataKeys.SolvedAt.Name] = EnbValue.I64(result.SolvedAtStep ?? -1),
                [MetadataKeys.GreedyReturn.Name] = EnbValue.F32((float)result.BestEvalMean),
                [MetadataKeys.BestStep.Name] = EnbValue.I64(result.BestEvalStep),
            };
            if (p.GetValue(output) is { } outPath)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
                var model = trainer.Agent.Online;
                foreach (var (k, v) in provenance)
                {
                    model.Metadata[k] = v;
                }

                model.Save(outPath);
                string stem = outPath.EndsWith(".keras.enb", StringComparison.Ordinal) ? outPath[..^".keras.enb".Length] : Path.ChangeExtension(outPath, null);
                EpisodeLog.WriteCsv(stem + ".csv", result.Episodes);
                ReturnsPlot.Save(stem + ".png", result, options.SolveThreshold);
                Console.WriteLine($"saved {outPath}, the episode log {stem}.csv and the returns curve {stem}.png");
            }

            if (p.GetValue(export) is { } blob)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(blob))!);
                foreach (var scheme in schemes)
                {
                    string name = scheme.ToString().ToLowerInvariant();
                    string target = schemes.Length == 1 ? blob : $"{Path.ChangeExtension(blob, null)}-{name}.enb";
                    var report = DqnExport.Export(trainer.Agent, target, scheme, env, provenance);
                    Console.WriteLine($"exported {target} ({report.Bytes.ToString("N0", Inv)} bytes, {name}); on the board: edgenet rollout {target} --episodes 100");
                }
            }
        }));
        return cmd;
    }

    internal static int[] ParseHidden(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var widths = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, Inv, out widths[i]) || widths[i] < 1)
            {
                throw new ArgumentException($"--hidden: '{parts[i]}' is not a positive width; write e.g. --hidden 256,256");
            }
        }

        return widths;
    }

    internal static QuantizationScheme ParseScheme(string q) => q.ToLowerInvariant() switch
    {
        "f32" => QuantizationScheme.F32,
        "f16" => QuantizationScheme.F16,
        "int8" => QuantizationScheme.Int8,
        _ => throw new ArgumentException($"--quantize must be f32, f16 or int8, not '{q}'"),
    };

    private static DqnResult Run(DqnTrainer trainer)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            return trainer.Train(new LineReporter());
        }

        DqnResult? result = null;
        AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("dqn", maxValue: trainer.Options.TotalSteps);
                result = trainer.Train(new LiveReporter(task));
            });
        return result!;
    }

    private static string Line(in DqnProgress p) => string.Create(Inv,
        $"steps {p.EnvSteps,6}  episodes {p.Episodes,4}  mean R (last 100) {p.MeanReturn100,6:F1}  eps {p.Epsilon:F3}  {p.EnvStepsPerSecond,6:F0} env steps/s  grad steps {p.GradientSteps}  loss {p.Loss:F4}");

    private static string EvalLine(EvalRecord e)
    {
        string confirm = e.ConfirmMean is { } c ? string.Create(Inv, $", confirm {c:F1} over 100") : "";
        return string.Create(Inv, $"eval at {e.EnvSteps,6}: greedy mean R {e.MeanReturn,6:F1} over {e.Episodes} episodes{confirm}  [{e.WallSeconds:F1} s]");
    }

    private static void PrintResult(DqnOptions o, DqnResult r)
    {
        Console.WriteLine(string.Create(Inv, $"run: {(r.Episodes.Count == 0 ? 0 : r.Episodes[^1].EnvSteps)} env steps in {r.WallSeconds:F1} s, {r.GradientSteps} gradient steps in {r.GradientSeconds:F1} s ({r.GradientSteps / Math.Max(r.GradientSeconds, 1e-9):F0}/s, {1e6 * r.GradientSeconds / Math.Max(r.GradientSteps, 1):F0} us each)"));
        Console.WriteLine(r.Solved
            ? string.Create(Inv, $"solved: at {r.SolvedAtStep} env steps (greedy mean {r.SolvedMeanReturn:F1} over {o.SolveEpisodes} episodes), {r.SolvedWallSeconds:F1} s")
            : string.Create(Inv, $"solved: no (best greedy mean {r.BestEvalMean:F1} at {r.BestEvalStep} env steps)"));
        Console.WriteLine(string.Create(Inv, $"kept the weights of the evaluation at {r.BestEvalStep} env steps"));
    }

    private sealed class LineReporter : IDqnReporter
    {
        public void OnProgress(in DqnProgress progress)
        {
            if (progress.EnvSteps % 5000 == 0)
            {
                Console.WriteLine("  " + Line(progress));
            }
        }

        public void OnEvaluation(EvalRecord evaluation) => Console.WriteLine("  " + EvalLine(evaluation));
    }

    private sealed class LiveReporter(ProgressTask task) : IDqnReporter
    {
        public void OnProgress(in DqnProgress progress)
        {
            task.Value = progress.EnvSteps;
            task.Description = Markup.Escape(Line(progress));
        }

        public void OnEvaluation(EvalRecord evaluation) => AnsiConsole.MarkupLine(Markup.Escape("  " + EvalLine(evaluation)));
    }
}
