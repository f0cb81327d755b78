using System.Collections.Concurrent;
using EdgeNet.Fleet.Board;
using EdgeNet.Fleet.Learner;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Fleet.Topics;
using EdgeNet.Fleet.Transport;
using EdgeNet.Rig.Environments;
using EdgeNet.Runtime.Training.Rl;
using EdgeNet.Tests.Shared;

namespace EdgeNet.Fleet.Tests;

/// <summary>A short fleet run against a real Mosquitto: two boards acting (virtual time), the learner training and announcing, the broker restarted mid-run.</summary>
[TestClass]
public sealed class FleetRunTests
{
    private static FleetConnection As(Mosquitto broker, string user) =>
        FleetConnection.Parse($"mqtts://127.0.0.1:{broker.Port}", user, Mosquitto.Password(user), Path.Combine(broker.Directory, "ca.pem"));

    private static async Task Until(Func<bool> done, int seconds, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!done())
        {
            Assert.IsLessThan(deadline, DateTime.UtcNow, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task The_learner_stores_exactly_what_the_boards_logged_across_a_broker_restart()
    {
        string dir = Directory.CreateTempSubdirectory("edgenet-fleet-run-").FullName;
        string[] names = ["rig-01", "rig-02"];
        using var broker = Mosquitto.Start(persistent: true, names);
        string blob = QNetworks.Write(dir, 9);
        using var dqn = DqnLearner.Load(blob, new DqnLearnerOptions { BatchSize = 32, LearningRate = 1e-3f, DoubleDqn = true, ReplayBytes = 1 << 20 });
        using var learner = new FleetLearner(dqn, new FleetLearnerOptions { LearningStarts = 300, AnnounceEvery = 100, WorkDirectory = Path.Combine(dir, "learner") });
        var stored = new ConcurrentDictionary<(string, ulong), int>();
        learner.TransitionAccepted += (b, s) => stored.AddOrUpdate((b, s), 1, (_, n) => n + 1);
        using var stop = new CancellationTokenSource();
        using var stopActing = new CancellationTokenSource();
        var learnerClient = await FleetClient.ConnectAsync(As(broker, "learner"), FleetRole.Learner, learner.Subscriptions);
        var learning = Task.Run(() => learner.RunAsync((p, ct) => learnerClient.TryPublishAsync(FleetTopics.CurrentModel, p, retain: true, ct: ct), stop.Token));

        var logged = new ConcurrentDictionary<(string, ulong), int>();
        var actors = new List<FleetActor>();
        var clients = new List<FleetClient>();
        var sending = new List<Task>();
        var acting = new List<Task>();
        try
        {
            for (int i = 0; i < names.Length; i++)
            {
                var actor = new FleetActor(names[i], new PacedEnvironment(new CartPoleEnv(seed: i)), blob, new FleetActorOptions { BatchTransitions = 25, Epsilon = 0.2, Seed = i, ModelDirectory = Path.Combine(dir, names[i]) });
                actors.Add(actor);
                actor.Outbox.BatchAccepted += b =>
                {
                    for (int k = 0; k < b.Count; k++)
                    {
                        logged.AddOrUpdate((actor.Board, b.FirstSequence + (ulong)k), 1, (_, n) => n + 1);
                    }
                };
                var client = await FleetClient.ConnectAsync(As(broker, names[i]), FleetRole.Board, [(FleetTopics.CurrentModel, (_, p) => { actor.Offer(p); return Task.CompletedTask; })]);
                clients.Add(client);
                sending.Add(Task.Run(() => actor.Outbox.RunAsync((t, p, ct) => client.TryPublishAsync(t, p, ct: ct), stop.Token, TimeSpan.FromSeconds(60))));
                acting.Add(Task.Factory.StartNew(() => actor.Run(long.MaxValue, stopActing.Token), TaskCreationOptions.LongRunning));
            }

            await Until(() => learner.Accepted > 1_500, 60, "the learner has 1,500 transitions");
            Assert.IsFalse(acting.TrueForAll(t => t.IsCompleted), "the boards are still acting when the broker goes down");
            broker.Restart();
            // The boards act on until each has taken a model announced after the restart (the learner may lag the boards:
            // acting for a fixed number of ticks could end before its first model).
            uint after = learner.ModelVersion;
            await Until(() => actors.TrueForAll(a => a.ModelVersion > after), 90, "every board acts with a model announced after the restart");
            await stopActing.CancelAsync();
            await Task.WhenAll(acting);
            await Until(() => actors.TrueForAll(a => a.Outbox.Accepted == a.Ticks), 60, "every board's outbox is empty");
            long sent = 0;
            actors.ForEach(a => sent += a.Outbox.Accepted);
            await Until(() => learner.Accepted >= sent, 30, "the learner has what the boards sent");
            await Task.Delay(300);   // what else would arrive, arrives

            Assert.HasCount((int)sent, logged, "each batch logged once by its board");
            Assert.IsTrue(logged.Keys.ToHashSet().SetEquals(stored.Keys), $"the learner stored {stored.Count} transitions, the boards logged {logged.Count}");
            Assert.IsTrue(stored.Values.All(n => n == 1), "none stored twice");
            Assert.AreEqual(sent, learner.Accepted);
            Assert.IsGreaterThanOrEqualTo(1, clients.Sum(c => c.Reconnects), "the boards reconnected after the restart");
            Assert.IsGreaterThan(0L, actors.Sum(a => a.Outbox.Retries), "batches were sent again after the restart: the path the guarantee rests on ran");
            Assert.IsGreaterThan(0u, learner.ModelVersion, "the learner announced models");
            Assert.IsTrue(actors.TrueForAll(a => a.Swaps > 0 && a.ModelVersion > 0 && a.Refused == 0), "every board took an announced model: " + string.Join(", ", actors.Select(a => $"{a.Board} v{a.ModelVersion} swaps {a.Swaps} refused {a.Refused} ({a.LastRefusal})")));
            await Until(() => learner.Stored == learner.Accepted, 30, "the learner's replay has every accepted transition");
            Assert.AreEqual(sent, learner.Stored);
        }
        finally
        {
            await stop.CancelAsync();
            await stopActing.CancelAsync();
            await Task.WhenAll(acting).ContinueWith(_ => { }, TaskScheduler.Default);   // the loops end before their actors are disposed
            await learning;
            await Task.WhenAll(sending);
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }

            await learnerClient.DisposeAsync();
            actors.ForEach(a => a.Dispose());
            Directory.Delete(dir, true);
        }
    }
}
