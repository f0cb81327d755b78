using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using EdgeNet.Fleet.Broker;
using EdgeNet.Fleet.Learner;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Fleet.Topics;
using EdgeNet.Fleet.Transport;
using EdgeNet.Rig.Config;
using EdgeNet.Rig.Physics;
using EdgeNet.Rig.Simulation;
using EdgeNet.Runtime.Training.Rl;
using Spectre.Console;

namespace EdgeNet.Trainer.Cli;

/// <summary>
/// <c>edgenet-train fleet broker|learn</c>: a fleet's broker configuration, and the learner that trains on every board's
/// transitions and announces new models (the procedure is <see cref="FleetLearner"/> and <see cref="FleetJudge"/>; this
/// parses, wires, shows the live table and writes the log and the plot).
/// </summary>
internal static class FleetCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var cmd = new Command("fleet", "A fleet of boards learning together over MQTT: the broker's configuration, and the learner.");
        cmd.Subcommands.Add(Broker());
        cmd.Subcommands.Add(Learn());
        cmd.Subcommands.Add(Announce());
        return cmd;
    }

    private static Command Broker()
    {
        var dir = new Option<string>("--dir") { Description = "where to write the broker's files (created)", Required = true };
        var boards = new Option<string>("--boards") { Description = "the boards' ids, comma-separated (each is its MQTT user)", Required = true };
        var host = new Option<string>("--host") { Description = "the broker's address as the boards reach it (the certificate names it)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { DefaultValueFactory = _ => 8883 };
        var persistent = new Option<bool>("--persistent") { Description = "sessions and queued messages survive a broker restart", DefaultValueFactory = _ => true };
        var cmd = new Command("broker", "Write a Mosquitto configuration for a fleet: a CA and the broker's certificate, a password per board and the learner, the ACL.") { dir, boards, host, port, persistent };
        cmd.SetAction(p => Cli.Guard(() =>
        {
            var ids = p.GetValue(boards)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var files = FleetBrokerSetup.Write(p.GetValue(dir)!, p.GetValue(port), ids, p.GetValue(persistent), p.GetValue(host)!);
            Console.WriteLine($"wrote {files.Directory}: start the broker with 'mosquitto -c {files.Config}' (TLS on {p.GetValue(host)}:{files.Port}); give each board its USER.password and {files.CaFile}");
        }));
        return cmd;
    }

    private static Command Learn()
    {
        var broker = new Option<string>("--broker") { Description = "the broker, mqtts://HOST[:PORT]", Required = true };
        var user = new Option<string>("--user") { DefaultValueFactory = _ => FleetBrokerSetup.Learner };
        var passwordFile = new Option<string>("--password-file") { Description = "a file holding the learner's MQTT password", Required = true };
        var ca = new Option<string>("--ca") { Description = "the fleet CA's certificate (PEM)", Required = true };
        var model = new Option<string>("--model") { Description = "the f32 Q-network blob to start from (what the boards start with)", Required = true };
        var output = new Option<string>("--out") { Description = "the best judged model, written at the end; its log (.csv) and plot (.png) beside it", Required = true };
        var scheme = new Option<string>("--scheme") { Description = "announced blobs: f32 | int8 (calibrated on states from the replay)", DefaultValueFactory = _ => "f32" };
        var announceEvery = new Option<int>("--announce-every") { Description = "gradient steps between announcements", DefaultValueFactory = _ => 128 };
        var ratio = new Option<double>("--train-ratio") { Description = "gradient steps per transition received", DefaultValueFactory = _ => 0.5 };
        var starts = new Option<long>("--learning-starts") { DefaultValueFactory = _ => 1_000 };
        var targetEvery = new Option<int>("--target-every") { Description = "transitions between target copies", DefaultValueFactory = _ => 10 };
        var lr = new Option<float>("--lr") { DefaultValueFactory = _ => 1e-4f };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64 };
        var dbl = new Option<bool>("--double") { DefaultValueFactory = _ => true };
        var replayMb = new Option<int>("--replay-mb") { DefaultValueFactory = _ => 16 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var judgePhysics = new Option<string?>("--judge-physics") { Description = $"the judge's simulated rig over GPIO: physics key=value,... over CartPole-v1 (the boards' rig); keys: {CartPoleOptions.KnownKeys}" };
        var judgeEvery = new Option<long>("--judge-every") { Description = "transitions between greedy judgements (0: none)", DefaultValueFactory = _ => 1_000 };
        var judgeEpisodes = new Option<int>("--judge-episodes") { DefaultValueFactory = _ => 5 };
        var confirm = new Option<int>("--confirm-episodes") { DefaultValueFactory = _ => 20 };
        var target = new Option<double>("--target") { Description = "the greedy mean return that counts as solved", DefaultValueFactory = _ => 475 };
        var stopAtTarget = new Option<bool>("--stop-at-target") { Description = "end when a judgement reaches --target" };
        var seconds = new Option<double>("--seconds") { Description = "end after this long (0: at SIGINT/SIGTERM)", DefaultValueFactory = _ => 0 };
        var workDir = new Option<string?>("--work-dir") { Description = "announced blobs (default: OUT.fleet)" };
        var cmd = new Command("learn", "The fleet's learner: one replay fed by every board, DQN updates, a new model announced every K updates, greedy judgements; a live table of the boards.")
        {
            broker, user, passwordFile, ca, model, output, scheme, announceEvery, ratio, starts, targetEvery, lr, batch, dbl, replayMb, seed,
            judgePhysics, judgeEvery, judgeEpisodes, confirm, target, stopAtTarget, seconds, workDir,
        };
        cmd.SetAction(p => Cli.Guard(() => Run(new LearnArgs(
            FleetConnection.Parse(p.GetValue(broker)!, p.GetValue(user)!, FleetConnection.ReadPasswordFile(p.GetValue(passwordFile)!), p.GetValue(ca)!),
            p.GetValue(model)!, p.GetValue(output)!, p.GetValue(workDir) ?? p.GetValue(output)! + ".fleet",
            new DqnLearnerOptions { BatchSize = p.GetValue(batch), LearningRate = p.GetValue(lr), DoubleDqn = p.GetValue(dbl), ReplayBytes = (long)p.GetValue(replayMb) << 20, Seed = p.GetValue(seed) },
            new FleetLearnerOptions
            {
                Scheme = p.GetValue(scheme) switch
                {
                    "f32" => ModelScheme.F32,
                    "int8" => ModelScheme.Int8,
                    var s => throw new ArgumentException($"--scheme {s}: announce f32 or int8 blobs"),
                },
                AnnounceEvery = p.GetValue(announceEvery), GradientStepsPerTransition = p.GetValue(ratio), LearningStarts = p.GetValue(starts), TargetEvery = p.GetValue(targetEvery),
            },
            new FleetJudgeOptions { JudgeEvery = p.GetValue(judgeEvery), Episodes = p.GetValue(judgeEpisodes), ConfirmEpisodes = p.GetValue(confirm), Target = p.GetValue(target) },
            p.GetValue(judgePhysics), p.GetValue(seed), p.GetValue(stopAtTarget), p.GetValue(seconds)))));
        return cmd;
    }

    private static Command Announce()
    {
        var broker = new Option<string>("--broker") { Description = "the broker, mqtts://HOST[:PORT]", Required = true };
        var user = new Option<string>("--user") { DefaultValueFactory = _ => FleetBrokerSetup.Learner };
        var passwordFile = new Option<string>("--password-file") { Description = "a file holding the learner's MQTT password", Required = true };
        var ca = new Option<string>("--ca") { Description = "the fleet CA's certificate (PEM)", Required = true };
        var version = new Option<uint>("--version") { Description = "the model version to announce it as", Required = true };
        var blob = new Argument<string>("blob") { Description = "the .enb to put on every board (a rollback to a known-good model, or a model trained elsewhere)" };
        var cmd = new Command("announce", "Announce a blob as the fleet's current model (retained): every board checks its hash, loads it and swaps it in between two ticks.") { blob, broker, user, passwordFile, ca, version };
        cmd.SetAction(p => Cli.Guard(() =>
        {
            byte[] bytes = File.ReadAllBytes(p.GetValue(blob)!);
            ModelScheme scheme;
            using (var reader = Formats.Enb.BlobReader.Open(p.GetValue(blob)!))   // a blob that does not read is refused here, before any board sees it
            {
                scheme = reader.TryGetMetadata(Formats.Contract.MetadataKeys.QuantizationScheme.Name, out var v) && v.AsString() == "int8" ? ModelScheme.Int8 : ModelScheme.F32;
            }

            var c = FleetConnection.Parse(p.GetValue(broker)!, p.GetValue(user)!, FleetConnection.ReadPasswordFile(p.GetValue(passwordFile)!), p.GetValue(ca)!);
            var client = FleetClient.ConnectAsync(c, FleetRole.Learner).GetAwaiter().GetResult();
            try
            {
                var outcome = client.TryPublishAsync(FleetTopics.CurrentModel, ModelAnnouncement.Encode(p.GetValue(version), scheme, bytes), retain: true).GetAwaiter().GetResult();
                if (outcome != FleetPublishOutcome.Accepted)
                {
                    throw new FleetConnectionException($"the broker did not accept the announcement ({outcome}): user {c.User} must be allowed to write {FleetTopics.CurrentModel}");
                }

                Console.WriteLine($"announced {p.GetValue(blob)} ({bytes.Length:N0} bytes, {scheme.ToString().ToLowerInvariant()}) as model {p.GetValue(version)} on {FleetTopics.CurrentModel} (retained)");
            }
            finally
            {
                client.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }));
        return cmd;
    }

    private sealed record LearnArgs(FleetConnection Connection, string Model, string Output, string WorkDir, DqnLearnerOptions Dqn, FleetLearnerOptions Learner, FleetJudgeOptions Judge, string? JudgePhysics, int Seed, bool StopAtTarget, double Seconds);

    private static void Run(LearnArgs a)
    {
        Directory.CreateDirectory(a.WorkDir);
        using var dqn = DqnLearner.Load(a.Model, a.Dqn);
        if (dqn.ObservationSize != 4 || dqn.ActionCount != 2)
        {
            throw new ArgumentException($"{a.Model}: the fleet learns a CartPole Q-network (4 observation values in, 2 action values out); this one takes {dqn.ObservationSize} and gives {dqn.ActionCount}");
        }

        using var learner = new FleetLearner(dqn, a.Learner with { WorkDirectory = a.WorkDir });
        using var judgeRig = SimulatedRig.Open(RigConfig.Default(), CartPoleOptions.Parse(a.JudgePhysics), a.Seed + 1000);
        using var judge = new FleetJudge(judgeRig.Rig, a.Judge, Path.Combine(a.WorkDir, "judge"));
        var episodes = new List<BoardEpisode>();
        learner.EpisodeEnded += ep =>
        {
            lock (episodes)
            {
                episodes.Add(ep);
            }
        };
        if (a.Judge.JudgeEvery > 0)
        {
            learner.Announced += judge.Offer;
        }

        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        if (a.Seconds > 0)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(a.Seconds));
        }

        judge.Judged += j =>
        {
            if (a.StopAtTarget && judge.Solved is not null)
            {
                stop.Cancel();
            }
        };
        var client = FleetClient.ConnectAsync(a.Connection, FleetRole.Learner, learner.Subscriptions).GetAwaiter().GetResult();
        try
        {
            client.HandlerFailed += (topic, e) => AnsiConsole.MarkupLine(Markup.Escape($"  refused a message on {topic}: {e.Message}"));
            Task<FleetPublishOutcome> Announce(byte[] payload, CancellationToken ct) => client.TryPublishAsync(FleetTopics.CurrentModel, payload, retain: true, ct: ct);

            // The start blob as version 0, retained: a stale announcement from an earlier learner is replaced, boards that
            // started with this blob keep it (same hash).
            Announce(ModelAnnouncement.Encode(0, ModelScheme.F32, File.ReadAllBytes(a.Model)), stop.Token).GetAwaiter().GetResult();
            Console.WriteLine($"fleet learner on {a.Connection.Host}:{a.Connection.Port}: replay {dqn.Replay.Capacity.ToString("N0", Inv)} transitions, {a.Learner.GradientStepsPerTransition.ToString(Inv)} steps per transition, a{(a.Learner.Scheme == ModelScheme.Int8 ? "n int8" : " f32")} model announced every {a.Learner.AnnounceEvery} steps; judged on a simulated rig ({CartPoleOptions.Parse(a.JudgePhysics).ToSpec()})");
            var learning = Task.Run(() => learner.RunAsync(Announce, stop.Token));
            var judging = Task.Run(() => judge.RunAsync(stop.Token));
            judge.Judged += j => Console.WriteLine(string.Create(Inv, $"  judged model {j.Version} (made at {j.Stored:N0} transitions, {j.Elapsed.TotalSeconds:F1} s): greedy mean {j.Score:F1} over {j.Episodes} episodes{(j.Kept ? "  <- kept as best" : "")}"));
            Live(learner, judge, stop.Token);
            learning.GetAwaiter().GetResult();
            judging.GetAwaiter().GetResult();
        }
        finally
        {
            client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        Report(a, dqn, learner, judge, episodes);
    }

    /// <summary>The live table (a terminal) or a status line every 10 s (a log), until <paramref name="stop"/>.</summary>
    private static void Live(FleetLearner learner, FleetJudge judge, CancellationToken stop)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            while (!stop.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)))
            {
                Console.WriteLine("  " + Summary(learner, judge));
            }

            AnsiConsole.Write(Table(learner, judge));
            return;
        }

        AnsiConsole.Live(Table(learner, judge)).Start(ctx =>
        {
            while (!stop.WaitHandle.WaitOne(TimeSpan.FromSeconds(1)))
            {
                ctx.UpdateTarget(Table(learner, judge));
            }
        });
    }

    private static string Summary(FleetLearner l, FleetJudge j)
    {
        var staleness = l.Staleness();
        return string.Create(Inv, $"{l.Elapsed.TotalSeconds:F0} s: model {l.ModelVersion}, {l.Stored:N0} transitions stored ({l.Duplicates} duplicates dropped), {l.GradientSteps:N0} updates, loss {l.Loss:F4}, best greedy {j.Best:F1}, staleness p50 {Quantile(staleness, 0.5)} p90 {Quantile(staleness, 0.9)}");
    }

    private static Table Table(FleetLearner learner, FleetJudge judge)
    {
        var t = new Table().Title(Markup.Escape(Summary(learner, judge)));
        foreach (string c in new[] { "board", "status", "last seen", "transitions", "per s", "episodes", "last return", "model", "loop p99 ms", "overruns" })
        {
            t.AddColumn(c);
        }

        foreach (var b in learner.Boards())
        {
            t.AddRow(
                Markup.Escape(b.Board), b.Online ? "online" : "[red]offline[/]", string.Create(Inv, $"{(DateTime.UtcNow - b.LastSeen).TotalSeconds:F1} s ago"),
                b.Stored.ToString("N0", Inv), b.PerSecond.ToString("F0", Inv), b.Episodes.ToString(Inv), float.IsNaN(b.LastReturn) ? "-" : b.LastReturn.ToString("F0", Inv),
                b.ModelVersion.ToString(Inv), b.Heartbeat is { } h ? h.WorkP99Ms.ToString("F3", Inv) : "-", b.Heartbeat is { } h2 ? h2.Overruns.ToString(Inv) : "-");
        }

        return t;
    }

    /// <summary>The <paramref name="q"/> quantile of a histogram (bin index = staleness).</summary>
    internal static int Quantile(long[] histogram, double q)
    {
        long total = 0;
        foreach (long n in histogram)
        {
            total += n;
        }

        long seen = 0;
        for (int i = 0; i < histogram.Length; i++)
        {
            seen += histogram[i];
            if (total > 0 && seen >= q * total)
            {
                return i;
            }
        }

        return 0;
    }

    private static void Report(LearnArgs a, DqnLearner dqn, FleetLearner learner, FleetJudge judge, List<BoardEpisode> episodes)
    {
        var best = judge.BestModel;
        if (best is not null)
        {
            Formats.Enb.AtomicFile.Write(a.Output, s => s.Write(best.Blob));
        }
        else
        {
            dqn.Save(a.Output, $"edgenet-train fleet learn: the last weights after {learner.Stored} transitions (nothing was judged)");
        }

        string log = Path.ChangeExtension(a.Output, ".csv");
        using (var w = new StreamWriter(log))
        {
            w.WriteLine("kind,board,stored,seconds,value,version,kept");
            lock (episodes)
            {
                foreach (var e in episodes)
                {
                    w.WriteLine(string.Create(Inv, $"episode,{e.Board},{e.Stored},{e.Elapsed.TotalSeconds:F3},{e.Return:F0},,"));
                }
            }

            foreach (var j in judge.Judgements)
            {
                w.WriteLine(string.Create(Inv, $"judgement,,{j.Stored},{j.Elapsed.TotalSeconds:F3},{j.Score:F1},{j.Version},{(j.Kept ? 1 : 0)}"));
            }
        }

        string png = Path.ChangeExtension(a.Output, ".png");
        double[] x, r, m;
        lock (episodes)
        {
            x = new double[episodes.Count];
            r = new double[episodes.Count];
            m = new double[episodes.Count];
            double sum = 0;
            for (int i = 0; i < episodes.Count; i++)
            {
                (x[i], r[i]) = (episodes[i].Stored, episodes[i].Return);
                sum += r[i] - (i >= 100 ? r[i - 100] : 0);
                m[i] = sum / Math.Min(i + 1, 100);
            }
        }

        var judged = judge.Judgements;
        var ex = new double[judged.Count];
        var ey = new double[judged.Count];
        for (int i = 0; i < judged.Count; i++)
        {
            (ex[i], ey[i]) = (judged[i].Stored, judged[i].Score);
        }

        int boards = 0;
        foreach (var b in learner.Boards())
        {
            boards += b.Stored > 0 ? 1 : 0;   // boards that sent something (a retained status alone is no board of this run)
        }

        string title = judge.Solved is { } s
            ? string.Create(Inv, $"fleet of {boards}: greedy {s.Score:F1} at {s.Stored:N0} env steps, {s.Elapsed.TotalSeconds:F0} s")
            : $"fleet of {boards} boards";
        ReturnsPlot.Save(png, new ReturnsCurve(x, r, m, ex, ey, title, "env steps (all boards)"), a.Judge.Target);

        var st = learner.Staleness();
        Console.WriteLine(string.Create(Inv, $"staleness (newest version − the version a transition was acted with), transitions: p50 {Quantile(st, 0.5)}, p90 {Quantile(st, 0.9)}, p99 {Quantile(st, 0.99)}, max {MaxBin(st)}{(st[^1] > 0 ? "+" : "")}"));
        Console.WriteLine(string.Create(Inv, $"received {learner.Accepted:N0} transitions from {boards} boards ({learner.Duplicates:N0} duplicates dropped, {learner.RefusedPayloads} payloads refused); {learner.GradientSteps:N0} updates; {learner.ModelVersion} models announced in {learner.Elapsed.TotalSeconds:F1} s"));
        Console.WriteLine(judge.Solved is { } solved
            ? string.Create(Inv, $"solved: model {solved.Version} judged {solved.Score:F1} (≥ {a.Judge.Target}) — made at {solved.Stored:N0} env steps, {(solved.Elapsed - (learner.FirstArrival ?? TimeSpan.Zero)).TotalSeconds:F1} s after the first transition arrived")
            : string.Create(Inv, $"not solved: best greedy {judge.Best:F1} (target {a.Judge.Target})"));
        foreach (var b in learner.Boards())
        {
            foreach (var (incarnation, stored) in b.Incarnations)
            {
                Console.WriteLine(string.Create(Inv, $"  stored from {b.Board} incarnation {incarnation:x8}: {stored} transitions"));
            }
        }

        Console.WriteLine($"wrote {a.Output} ({(best is null ? "the last weights: nothing was judged" : $"model {best.Version}, the best judged")}), {log}, {png}");
    }

    private static int MaxBin(long[] histogram)
    {
        for (int i = histogram.Length - 1; i >= 0; i--)
        {
            if (histogram[i] > 0)
            {
                return i;
            }
        }

        return 0;
    }
}
