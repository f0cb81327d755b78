using System.CommandLine;
using System.Globalization;
using EdgeNet.Fleet.Board;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Fleet.Topics;
using EdgeNet.Fleet.Transport;
using EdgeNet.Runtime.Training.Rl;

namespace EdgeNet.Runtime.Cli;

/// <summary>
/// <c>edgenet fleet join</c>: this board in a fleet — acts on its rig every tick with its current blob, sends its
/// transitions in batches to the broker (QoS 1, a persistent session), and swaps in each model the learner announces
/// between two ticks after checking its hash. The procedure is <see cref="FleetActor"/>; this parses, wires and prints.
/// </summary>
internal static class FleetCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create(TextWriter o, TextWriter e)
    {
        var cmd = new Command("fleet", "This board in a fleet of boards learning together over MQTT (a learner runs 'edgenet-train fleet learn').");
        cmd.Subcommands.Add(Join(o, e));
        return cmd;
    }

    private static Command Join(TextWriter o, TextWriter e)
    {
        var broker = new Option<string>("--broker") { Description = "the broker, mqtts://HOST[:PORT] (TLS only)", Required = true };
        var id = new Option<string>("--id") { Description = "this board's id: its MQTT user name and topic level (letters, digits, . _ -)", Required = true };
        var passwordFile = new Option<string>("--password-file") { Description = "a file holding this board's MQTT password (one line; not on the command line, where ps shows it)", Required = true };
        var ca = new Option<string>("--ca") { Description = "the fleet CA's certificate (PEM) the broker's certificate must chain to", Required = true };
        var model = new Option<string>("--model") { Description = "the Q-network blob to act with until the learner announces one", Required = true };
        var rig = new Option<string>("--rig") { Description = "'simulated' (the rig over a simulated GPIO chip) or the board's rig.json", Required = true };
        var physics = new Option<string?>("--physics") { Description = "with --rig simulated: the rig's physics, key=value,... over CartPole-v1" };
        var realTime = new Option<bool>("--realtime") { Description = "with --rig simulated: tick on the wall clock at the rig's rate (else as fast as the board computes)" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var ticks = new Option<long>("--ticks") { Description = "ticks to act for (0: until SIGINT/SIGTERM)", DefaultValueFactory = _ => 0 };
        var epsilon = new Option<double>("--epsilon") { Description = "exploration: a random action with this probability", DefaultValueFactory = _ => 0.04 };
        var batch = new Option<int>("--batch") { Description = "transitions per message (50: one a second at 50 Hz)", DefaultValueFactory = _ => 50 };
        var outbox = new Option<int>("--outbox") { Description = "batches kept while the broker is away (the oldest go first when full)", DefaultValueFactory = _ => 3_600 };
        var models = new Option<string?>("--models-dir") { Description = "where announced blobs are written before they are loaded (default: fleet-models-ID)" };
        var heartbeat = new Option<double>("--heartbeat") { Description = "seconds between heartbeats", DefaultValueFactory = _ => 5 };
        var log = new Option<string?>("--log") { Description = "append a line per batch the broker accepted (first_sequence,count,model_version), flushed at once" };
        var priority = new Option<int>("--realtime-priority") { Description = "SCHED_FIFO priority 1-99 for the control loop's thread (0: normal)", DefaultValueFactory = _ => 0 };
        var variant = RunCommands.Variant();
        var cmd = new Command("join", "Act on the rig every tick, send the transitions to the fleet's learner, swap in the models it announces between ticks.")
        {
            broker, id, passwordFile, ca, model, rig, physics, realTime, seed, ticks, epsilon, batch, outbox, models, heartbeat, log, priority, variant,
        };
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            string board = FleetTopics.CheckBoard(p.GetValue(id)!);
            string password = FleetConnection.ReadPasswordFile(p.GetValue(passwordFile)!);
            var connection = FleetConnection.Parse(p.GetValue(broker)!, board, password, p.GetValue(ca)!);
            if (p.GetValue(heartbeat) <= 0 || p.GetValue(ticks) < 0)
            {
                throw new ArgumentException("--heartbeat must be positive and --ticks 0 or more");
            }

            string rigArg = p.GetValue(rig)!;
            bool simulated = rigArg == "simulated";
            var (gpioRig, owner, what) = RigCommand.OpenRig(simulated ? null : rigArg, simulated, p.GetValue(physics), p.GetValue(realTime), p.GetValue(seed));
            using (owner)
            {
                var (cts, signals) = RigCommand.StopOnSignals(gpioRig);
                using var actor = new FleetActor(board, new RigEnvironment(gpioRig, cts.Token), p.GetValue(model)!, new FleetActorOptions
                {
                    Epsilon = p.GetValue(epsilon), BatchTransitions = p.GetValue(batch), OutboxBatches = p.GetValue(outbox),
                    ModelDirectory = p.GetValue(models) ?? $"fleet-models-{board}", Seed = p.GetValue(seed),
                    Variant = RunCommands.Options(p, variant, RunCommands.Threads(), 1).Variant,
                });
                using var logFile = p.GetValue(log) is { } path ? new StreamWriter(path, append: true) { AutoFlush = true } : null;
                actor.Outbox.BatchAccepted += b => logFile?.WriteLine(string.Create(Inv, $"{b.FirstSequence},{b.Count},{b.ModelVersion}"));
                actor.Outbox.BatchRefused += b => e.WriteLine($"edgenet: the broker refused transitions {b.FirstSequence}..+{b.Count} from '{board}': its ACL must let user {board} write {FleetTopics.Transitions(board)}");
                actor.Swapped += v => o.WriteLine(string.Create(Inv, $"  tick {actor.Ticks,8}: model {v} swapped in"));
                using var net = new CancellationTokenSource();
                FleetClient? client = null;
                Task? sending = null, beating = null;
                try
                {
                    client = FleetClient.ConnectAsync(connection, FleetRole.Board, [(FleetTopics.CurrentModel, (_, payload) =>
                    {
                        actor.Offer(payload);
                        return Task.CompletedTask;
                    })]).GetAwaiter().GetResult();
                    client.HandlerFailed += (topic, ex) => e.WriteLine($"edgenet: {ex.Message}");
                    var c = client;
                    sending = Task.Run(() => actor.Outbox.RunAsync((t, payload, ct) => c.TryPublishAsync(t, payload, ct: ct), net.Token, TimeSpan.FromSeconds(5)));
                    beating = Task.Run(() => Heartbeats(c, actor, gpioRig, TimeSpan.FromSeconds(p.GetValue(heartbeat)), net.Token));
                    o.WriteLine($"{what}; fleet board '{board}' on {connection.Host}:{connection.Port}, incarnation {actor.Incarnation:x8}; acting with {p.GetValue(model)} until the learner announces a model");
                    using (ServiceLoop.Attach(gpioRig, what, p.GetValue(priority)))
                    {
                        try
                        {
                            actor.EpisodeEnded += ep =>
                            {
                                if (ep.Episode % 20 == 0)
                                {
                                    o.WriteLine(string.Create(Inv, $"  episode {ep.Episode,5}  tick {ep.Ticks,8}  return {ep.Return,4:F0}  model {ep.ModelVersion}  sent {actor.Outbox.Accepted:N0}  queued {actor.Outbox.Pending}  {(c.IsConnected ? "connected" : "reconnecting")}"));
                                }
                            };
                            long n = p.GetValue(ticks);
                            actor.Run(n == 0 ? long.MaxValue : n, cts.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            // a signal while the rig was resetting: the motor is stopped; send what is queued below
                        }
                        finally
                        {
                            gpioRig.Halt(cts.IsCancellationRequested ? "stopped by a signal" : "fleet run ended");
                        }
                    }

                    net.Cancel();
                    sending.GetAwaiter().GetResult();
                    beating.GetAwaiter().GetResult();
                    if (actor.Outbox.LastError is { } err)
                    {
                        e.WriteLine($"edgenet: the sender met an error and carried on: {err}");
                    }

                    var ob = actor.Outbox;
                    o.WriteLine(string.Create(Inv, $"fleet board '{board}': {actor.Ticks:N0} ticks, {actor.Episodes} episodes; transitions accepted by the broker {ob.Accepted:N0}, dropped (outbox full) {ob.Dropped:N0}, refused {ob.Refused:N0}, left unsent {actor.Ticks - ob.Accepted - ob.Dropped - ob.Refused:N0}, resends {ob.Retries}; models swapped in {actor.Swaps} (longest swap {actor.LongestSwap.TotalMilliseconds:F3} ms on the loop), refused {actor.Refused}{(actor.LastRefusal is { } why ? $" (last: {why})" : "")}; reconnects {c.Reconnects}"));
                    o.WriteLine(RigCommand.Timing(gpioRig));
                }
                finally
                {
                    net.Cancel();
                    try
                    {
                        // On a failure too: what is queued is sent (for the outbox's drain time) before the client goes.
                        Task.WhenAll(sending ?? Task.CompletedTask, beating ?? Task.CompletedTask).Wait(TimeSpan.FromSeconds(10));
                    }
                    catch (AggregateException)
                    {
                        // the run's own failure is what is reported
                    }

                    client?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    Array.ForEach(signals, s => s.Dispose());
                    cts.Dispose();
                }
            }
        }));
        return cmd;
    }

    private static async Task Heartbeats(FleetClient client, FleetActor actor, Rig.CartPole.GpioCartPoleRig rig, TimeSpan every, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var s = rig.Stats;   // read while the loop writes: a heartbeat's percentiles may be a tick behind
            var h = actor.Heartbeat((float)(s.Work(0.99) * 1000), (float)(s.Jitter(0.99) * 1000), (uint)s.Overruns);
            try
            {
                await client.TryPublishAsync(FleetTopics.Heartbeat(actor.Board), Heartbeat.Encode(h), atMostOnce: true, ct: stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
