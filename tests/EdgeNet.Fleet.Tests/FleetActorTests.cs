using EdgeNet.Tests.Shared;
using System.Security.Cryptography;
using EdgeNet.Fleet.Board;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Rig.Environments;
using EdgeNet.Runtime;

namespace EdgeNet.Fleet.Tests;

/// <summary>A board in the fleet, in virtual time (no broker): swaps between ticks, no missed tick, bad announcements refused.</summary>
[TestClass]
public sealed class FleetActorTests
{
    private static string Dir() => Directory.CreateTempSubdirectory("edgenet-actor-").FullName;

    /// <summary>Counts the environment's steps (the ticks the board really took).</summary>
    private sealed class Counting(IEnvironment inner) : IEnvironment
    {
        public long Steps { get; private set; }

        public int ObservationSize => inner.ObservationSize;

        public int ActionCount => inner.ActionCount;

        public ReadOnlySpan<float> Observation => inner.Observation;

        public ReadOnlySpan<float> Reset(int? seed = null) => inner.Reset(seed);

        public StepResult Step(int action)
        {
            Steps++;
            return inner.Step(action);
        }
    }

    private static List<TransitionBatch> Drain(Outbox outbox)
    {
        var sent = new List<TransitionBatch>();
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        outbox.RunAsync((topic, payload, _) =>
        {
            sent.Add(TransitionBatch.Decode(topic, payload));
            return Task.FromResult(Transport.FleetPublishOutcome.Accepted);
        }, stop.Token, TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        return sent;
    }

    [TestMethod]
    public void An_announced_model_is_swapped_in_between_two_ticks_with_no_tick_missed()
    {
        string dir = Dir();
        try
        {
            string a = QNetworks.Write(dir, 9), b = QNetworks.Write(dir, 10);
            var env = new Counting(new CartPoleEnv(seed: 3));
            using var actor = new FleetActor("rig-01", env, a, new FleetActorOptions { Epsilon = 0, BatchTransitions = 500, OutboxBatches = 10_000, ModelDirectory = Path.Combine(dir, "models") }, incarnation: 77);
            long swappedAt = -1;
            actor.Swapped += v => swappedAt = actor.Ticks;

            // The announcement is checked and loaded on another thread while the loop runs; the loop takes it between ticks.
            using var offered = new ManualResetEventSlim();
            var network = Task.Run(() =>
            {
                offered.Wait();
                Assert.IsTrue(actor.Offer(ModelAnnouncement.Encode(7, ModelScheme.F32, File.ReadAllBytes(b))));
                Assert.IsFalse(actor.Offer(ModelAnnouncement.Encode(7, ModelScheme.F32, File.ReadAllBytes(b))), "the same model again (a retained message after a reconnect) is no new model");
            });
            actor.EpisodeEnded += e =>
            {
                if (e.Episode == 3)
                {
                    offered.Set();
                    network.Wait();   // a random policy's episodes are a few ticks: let the load finish within the run
                }
            };
            actor.Run(3_000);
            network.GetAwaiter().GetResult();

            var batches = Drain(actor.Outbox);
            long n = 0;
            using var itA = Interpreter.Load(a);
            using var itB = Interpreter.Load(b);
            uint last = 0;
            int mixed = 0;
            foreach (var batch in batches)
            {
                Assert.AreEqual(FleetSequence.Compose(77, (uint)n), batch.FirstSequence, "every tick's transition, in order, none missing");
                Assert.IsGreaterThanOrEqualTo(last, batch.ModelVersion, "versions never go back");
                last = batch.ModelVersion;
                var acting = batch.ModelVersion == 7 ? itB : itA;
                foreach (var t in batch.Transitions)
                {
                    // ε = 0: each action is the greedy action of the model the batch names — no tick acted by the other one.
                    Assert.AreEqual(acting.ArgMax(t.Observation), t.Action, $"tick {n}: acted with model {batch.ModelVersion}?");
                    mixed += itA.ArgMax(t.Observation) != itB.ArgMax(t.Observation) ? 1 : 0;
                    n++;
                }
            }

            Assert.AreEqual(env.Steps, n, "one transition per tick");
            Assert.AreEqual(actor.Ticks, n);
            Assert.AreEqual(1L, actor.Swaps);
            Assert.AreEqual(7u, actor.ModelVersion);
            Assert.IsTrue(swappedAt > 0 && swappedAt < n, $"swapped at tick {swappedAt} of {n}");
            Assert.IsGreaterThan(50, mixed, "the two models must disagree on enough states for the check above to tell them apart");
            Assert.AreEqual(0L, actor.Refused);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void Models_announced_from_another_thread_while_the_loop_runs_each_act_whole_ticks()
    {
        string dir = Dir();
        try
        {
            string[] models = [.. Enumerable.Range(0, 4).Select(i => QNetworks.Write(dir, 20 + i))];
            using var actor = new FleetActor("rig-01", new PacedEnvironment(new CartPoleEnv(seed: 5)), models[0], new FleetActorOptions { Epsilon = 0, BatchTransitions = 200, OutboxBatches = 10_000, ModelDirectory = Path.Combine(dir, "models") }, incarnation: 9);
            using var go = new CancellationTokenSource();
            var loop = Task.Factory.StartNew(() => actor.Run(long.MaxValue, go.Token), TaskCreationOptions.LongRunning);   // own threads: not queued behind the pool
            var network = Task.Factory.StartNew(() =>
            {
                for (uint v = 1; v <= 30; v++)
                {
                    // back to back, faster than the loop takes some of them: a pending model may be replaced before it acts
                    actor.Offer(ModelAnnouncement.Encode(v, ModelScheme.F32, File.ReadAllBytes(models[v % 4])));
                    Thread.Sleep(v % 3 == 0 ? 0 : 7);
                }
            }, TaskCreationOptions.LongRunning);
            network.GetAwaiter().GetResult();
            Thread.Sleep(50);
            go.Cancel();
            loop.GetAwaiter().GetResult();

            var its = models.Select(m => Interpreter.Load(m)).ToArray();
            try
            {
                long n = 0;
                uint last = 0;
                var versions = new HashSet<uint>();
                foreach (var batch in Drain(actor.Outbox))
                {
                    Assert.AreEqual(FleetSequence.Compose(9, (uint)n), batch.FirstSequence, "no tick missing across the swaps");
                    Assert.IsGreaterThanOrEqualTo(last, batch.ModelVersion);
                    (last, _) = (batch.ModelVersion, versions.Add(batch.ModelVersion));
                    var acting = its[batch.ModelVersion % 4];
                    foreach (var t in batch.Transitions)
                    {
                        Assert.AreEqual(acting.ArgMax(t.Observation), t.Action, $"tick {n}: acted by model {batch.ModelVersion} whole");
                        n++;
                    }
                }

                Assert.AreEqual(actor.Ticks, n);
                Assert.IsGreaterThan(100L, n, "the loop ran while the models were announced");
                Assert.AreEqual(30u, actor.ModelVersion, "the last announcement is the model acting at the end");
                Assert.IsGreaterThan(5, versions.Count, "several models acted in turn");
                Assert.AreEqual(versions.Count - 1L, actor.Swaps, "each version that acted was swapped in once");
            }
            finally
            {
                Array.ForEach(its, i => i.Dispose());
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void A_bad_announcement_is_refused_and_the_running_model_keeps_acting()
    {
        string dir = Dir();
        try
        {
            string a = QNetworks.Write(dir, 9), wrongShape = QNetworks.Write(dir, 10, actions: 3);
            using var actor = new FleetActor("rig-01", new CartPoleEnv(seed: 3), a, new FleetActorOptions { ModelDirectory = Path.Combine(dir, "models") });
            byte[] good = ModelAnnouncement.Encode(2, ModelScheme.F32, File.ReadAllBytes(a));

            byte[] flipped = (byte[])good.Clone();
            flipped[^100] ^= 0x40;   // one bit of the blob: the hash no longer matches
            StringAssert.Contains(Assert.ThrowsExactly<FleetPayloadException>(() => actor.Offer(flipped)).Message, "hashes to");
            StringAssert.Contains(Assert.ThrowsExactly<FleetPayloadException>(() => actor.Offer(good.AsSpan(0, good.Length - 10))).Message, "cut or padded");
            var shape = Assert.ThrowsExactly<FleetPayloadException>(() => actor.Offer(ModelAnnouncement.Encode(3, ModelScheme.F32, File.ReadAllBytes(wrongShape))));
            StringAssert.Contains(shape.Message, "2 action values out");
            byte[] garbage = RandomNumberGenerator.GetBytes(4096);   // hashes as announced, but no blob
            StringAssert.Contains(Assert.ThrowsExactly<FleetPayloadException>(() => actor.Offer(ModelAnnouncement.Encode(4, ModelScheme.F32, garbage))).Message, "does not load");

            actor.Run(200);
            Assert.AreEqual(4L, actor.Refused);
            Assert.AreEqual(0u, actor.ModelVersion);
            Assert.AreEqual(0L, actor.Swaps);
            foreach (var batch in Drain(actor.Outbox))
            {
                Assert.AreEqual(0u, batch.ModelVersion);
            }

            Assert.IsEmpty(Directory.GetFiles(Path.Combine(dir, "models")), "a refused blob leaves no file behind");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void A_full_outbox_drops_its_oldest_batches_and_counts_them()
    {
        string dir = Dir();
        try
        {
            string a = QNetworks.Write(dir, 9);
            using var actor = new FleetActor("rig-01", new CartPoleEnv(seed: 3), a, new FleetActorOptions { BatchTransitions = 10, OutboxBatches = 5, ModelDirectory = dir }, incarnation: 5);
            actor.Run(100);   // the network away: 10 batches for 5 places
            var batches = Drain(actor.Outbox);
            Assert.HasCount(5, batches);
            int kept = 0;
            foreach (var batch in batches)
            {
                kept += batch.Transitions.Count;
            }

            Assert.AreEqual(actor.Ticks - kept, actor.Outbox.Dropped);
            Assert.AreEqual(FleetSequence.Compose(5, (uint)(actor.Ticks - kept)), batches[0].FirstSequence, "the newest kept, the oldest dropped");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
