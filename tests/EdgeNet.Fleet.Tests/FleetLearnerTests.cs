using EdgeNet.Tests.Shared;
using EdgeNet.Fleet.Learner;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Fleet.Topics;
using EdgeNet.Fleet.Transport;
using EdgeNet.Rig.Environments;
using EdgeNet.Runtime;
using EdgeNet.Runtime.Training.Rl;

namespace EdgeNet.Fleet.Tests;

/// <summary>The learner without a broker: payloads in, de-duplicated, trained on, announced (f32 and int8), staleness counted.</summary>
[TestClass]
public sealed class FleetLearnerTests
{
    /// <summary>A board's episodes on CartPole with random actions, as batch payloads of <paramref name="per"/>.</summary>
    private static List<byte[]> Batches(string board, uint incarnation, int n, int per, uint version, int seed)
    {
        var env = new CartPoleEnv(seed: seed);
        var rng = new Random(seed);
        var w = new TransitionBatchWriter(board, 4, per);
        var list = new List<byte[]>();
        var obs = env.Reset().ToArray();
        for (int i = 0; i < n; i++)
        {
            if (w.Count == 0)
            {
                w.Begin(FleetSequence.Compose(incarnation, (uint)i), version);
            }

            int a = rng.Next(2);
            var r = env.Step(a);
            w.Add(obs, a, r.Reward, env.Observation, r.Terminated, r.Truncated);
            obs = r.Done ? env.Reset().ToArray() : env.Observation.ToArray();
            if (w.IsFull)
            {
                list.Add(w.Finish());
            }
        }

        return list;
    }

    /// <summary>The first announcement, with the learner's steps and stored count read on its own thread as it announced.</summary>
    private static async Task<(uint Version, ModelScheme Scheme, byte[] Blob, long Steps, long Stored)> FirstAnnouncement(FleetLearner learner, Action atAnnouncement)
    {
        var got = new TaskCompletionSource<(byte[], long, long)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = learner.RunAsync((payload, _) =>
        {
            if (!got.Task.IsCompleted)
            {
                atAnnouncement();
                got.TrySetResult((payload, learner.GradientSteps, learner.Stored));
            }

            return Task.FromResult(FleetPublishOutcome.Accepted);
        }, stop.Token);
        var (first, steps, stored) = await got.Task.WaitAsync(stop.Token);
        await stop.CancelAsync();
        await run;
        var (h, blob) = ModelAnnouncement.Decode(first);
        return (h.ModelVersion, h.Scheme, blob, steps, stored);
    }

    [TestMethod]
    [DataRow(ModelScheme.F32)]
    [DataRow(ModelScheme.Int8)]
    public async Task Transitions_are_stored_once_trained_on_and_a_model_announced(ModelScheme scheme)
    {
        string dir = Directory.CreateTempSubdirectory("edgenet-learner-").FullName;
        try
        {
            string blob = QNetworks.Write(dir, 9);
            using var dqn = DqnLearner.Load(blob, new DqnLearnerOptions { BatchSize = 32, ReplayBytes = 1 << 20 });
            using var learner = new FleetLearner(dqn, new FleetLearnerOptions { LearningStarts = 200, AnnounceEvery = 50, Scheme = scheme, Int8Calibration = 256, WorkDirectory = Path.Combine(dir, "w") });
            string topic = FleetTopics.Transitions("rig-01");
            int queued = 0;
            learner.TransitionAccepted += (_, _) => queued++;
            var batches = Batches("rig-01", 5, 600, 20, 0, 1);
            foreach (var b in batches)
            {
                learner.OnTransitions(topic, b);
            }

            foreach (var b in batches[..10])
            {
                learner.OnTransitions(topic, b);   // at-least-once: the first ten again
            }

            Assert.AreEqual(600L, learner.Accepted);
            Assert.AreEqual(600, queued, "each transition queued for the replay once");
            Assert.AreEqual(200L, learner.Duplicates);
            Assert.ThrowsExactly<FleetPayloadException>(() => learner.OnTransitions(FleetTopics.Transitions("rig-02"), batches[0]), "a batch naming another board than its topic's");
            Assert.AreEqual(1L, learner.RefusedPayloads);

            string announced = Path.Combine(dir, "announced.enb"), online = Path.Combine(dir, "online.enb");
            var (version, got, bytes, steps, storedThen) = await FirstAnnouncement(learner, () => dqn.Save(online, "the weights announced"));
            Assert.AreEqual(1u, version);
            Assert.AreEqual(scheme, got);
            Assert.AreEqual(50L, steps, "the first announcement after 50 steps");
            // Half a step per transition from the 200th stored: step k comes with transition 200 + 2k − 1, step 50 with the 299th.
            Assert.AreEqual(299L, storedThen, "the schedule: 0.5 gradient steps per transition once 200 are stored");

            // The announced blob acts like the learner's network: its greedy actions against the online weights', on replay states.
            File.WriteAllBytes(announced, bytes);
            using var a = Interpreter.Load(announced);
            using var o = Interpreter.Load(online);
            var env = new CartPoleEnv(seed: 7);
            int agree = 0, n = 0;
            double worst = 0, scale = 0;
            for (int ep = 0; ep < 10; ep++)
            {
                var s = env.Reset();
                for (bool done = false; !done; n++)
                {
                    int act = o.ArgMax(s);
                    agree += a.ArgMax(s) == act ? 1 : 0;
                    for (int k = 0; k < 2; k++)
                    {
                        worst = Math.Max(worst, Math.Abs(a.Output(1)[k] - o.Output(1)[k]));
                        scale = Math.Max(scale, Math.Abs(o.Output(1)[k]));
                    }

                    done = env.Step(act).Done;
                    s = env.Observation;
                }
            }

            Assert.IsGreaterThanOrEqualTo(scheme == ModelScheme.F32 ? 1.0 : 0.9, (double)agree / n, $"greedy agreement {agree}/{n}");
            // The Q-values themselves: the same in f32; in int8 within 10% of their range (measured 5.8%: three layers of 8-bit
            // activations, states outside the 256 calibration states clipped; uncalibrated ranges give 100%).
            Assert.IsLessThanOrEqualTo((scheme == ModelScheme.F32 ? 1e-6 : 0.1) * scale, worst, $"largest Q difference {worst} of a range {scale}");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void Staleness_counts_each_transition_by_how_many_versions_behind_it_was_acted()
    {
        string dir = Directory.CreateTempSubdirectory("edgenet-learner-").FullName;
        try
        {
            using var dqn = DqnLearner.Load(QNetworks.Write(dir, 9), new DqnLearnerOptions { BatchSize = 32, ReplayBytes = 1 << 20 });
            using var learner = new FleetLearner(dqn, new FleetLearnerOptions { LearningStarts = 1_000_000, WorkDirectory = Path.Combine(dir, "w") });
            for (int v = 0; v < 3; v++)
            {
                learner.Announce((_, _) => Task.FromResult(FleetPublishOutcome.Accepted), CancellationToken.None).GetAwaiter().GetResult();
            }

            // Newest version 3: 40 transitions acted with 3, 20 with 1, 20 with 0.
            string topic = FleetTopics.Transitions("rig-01");
            foreach (var (v, n, first) in new[] { (3u, 40, 0), (1u, 20, 40), (0u, 20, 60) })
            {
                var b = Batches("rig-01", 1, first + n, n, v, 3)[^1];
                learner.OnTransitions(topic, b);
            }

            var h = learner.Staleness();
            Assert.AreEqual(40L, h[0]);
            Assert.AreEqual(20L, h[2]);
            Assert.AreEqual(20L, h[3]);
            Assert.AreEqual(80L, h.Sum());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
