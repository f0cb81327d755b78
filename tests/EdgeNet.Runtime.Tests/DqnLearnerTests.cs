using EdgeNet.Rig.Replay;
using EdgeNet.Rig.Physics;
using EdgeNet.Runtime.Training.Rl;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Rl;
using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// The DQN learning on the board against the trainer's DQN: the same transitions, targets refreshed at the
/// same steps, give the same weights; acting is ε-greedy through the actor's own weights; nothing is allocated
/// per step; the replay ring lives in its memory budget.
/// </summary>
[TestClass]
public sealed class DqnLearnerTests
{
    private static ReplayBatch Transitions(int n, int seed)
    {
        var rng = new Random(seed);
        var b = new ReplayBatch(n, 4);
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < 4; k++)
            {
                b.Observations[(i * 4) + k] = (float)((rng.NextDouble() - 0.5) * 0.4);
                b.NextObservations[(i * 4) + k] = b.Observations[(i * 4) + k] + (float)((rng.NextDouble() - 0.5) * 0.05);
            }

            b.Actions[i] = rng.Next(2);
            b.Rewards[i] = 1f;
            b.Terminated[i] = rng.NextDouble() < 0.1 ? 1f : 0f;
        }

        return b;
    }

    private static string ExportAgent(DqnAgent agent)
    {
        string path = Path.Combine(Path.GetTempPath(), $"dqn-board-{Guid.NewGuid():N}.enb");
        DqnExport.Export(agent, path, QuantizationScheme.F32, new CartPoleOptions(), calibrationStates: 200);
        return path;
    }

    [TestMethod]
    [DataRow(false, DisplayName = "DQN")]
    [DataRow(true, DisplayName = "Double DQN")]
    public void The_same_transitions_give_the_trainers_weights_after_20_steps(bool doubleDqn)
    {
        var options = new DqnOptions { Hidden = [32, 32], BatchSize = 16, DoubleDqn = doubleDqn };
        var agent = new DqnAgent(4, 2, options, seed: 3);
        string blob = ExportAgent(agent);
        try
        {
            using var board = DqnLearner.Load(blob, new DqnLearnerOptions { BatchSize = 16, DoubleDqn = doubleDqn });
            for (int step = 0; step < 20; step++)
            {
                var b = Transitions(16, 100 + step);
                float expected = agent.TrainStep(b);
                float got = board.TrainOn(b.Observations, b.Actions, b.Rewards, b.NextObservations, b.Terminated, 16);
                Assert.AreEqual(expected, got, 1e-5 * Math.Max(1, Math.Abs(expected)), $"step {step}: loss");
                if (step % 5 == 4)
                {
                    agent.UpdateTarget();
                    board.UpdateTarget();
                }
            }

            foreach (var v in agent.Online.TrainableVariables)
            {
                float[] want = v.Numpy();
                var have = board.Online.Weight(v.Name);
                double scale = want.Max(x => Math.Abs((double)x));
                for (int i = 0; i < want.Length; i++)
                {
                    Assert.AreEqual(want[i], have[i], 1e-5 * Math.Max(Math.Abs(want[i]), 1e-2 * scale), $"{v.Name}[{i}] after 20 steps");
                }
            }
        }
        finally
        {
            File.Delete(blob);
        }
    }

    [TestMethod]
    public void Acting_is_epsilon_greedy_through_the_actors_weights_and_nothing_is_allocated_per_step()
    {
        var agent = new DqnAgent(4, 2, new DqnOptions { Hidden = [24, 24], BatchSize = 32 }, seed: 5);
        string blob = ExportAgent(agent);
        try
        {
            using var board = DqnLearner.Load(blob, new DqnLearnerOptions { BatchSize = 32, ReplayBytes = 4096, LearningRate = 0.01f, Seed = 2 });
            Assert.AreEqual(4096 / 44, board.Replay.Capacity, "44 bytes per CartPole transition");
            float[] o = [0.01f, 0, -0.02f, 0];
            float[] q = new float[2];
            agent.QValues(o, 1, q);
            int greedy = q[1] > q[0] ? 1 : 0;
            Assert.AreEqual(greedy, board.Act(o), "greedy action as the trainer's network gives it");
            int ones = Enumerable.Range(0, 2000).Count(_ => board.Act(o, epsilon: 1) == 1);
            Assert.IsTrue(ones is > 900 and < 1100, $"ε = 1 draws both actions uniformly: {ones} of 2000 were 1");

            var b = Transitions(200, 7);
            for (int i = 0; i < 200; i++)
            {
                board.Remember(b.Observations.AsSpan(i * 4, 4), b.Actions[i], b.Rewards[i], b.NextObservations.AsSpan(i * 4, 4), b.Terminated[i] > 0);
            }

            Assert.AreEqual(board.Replay.Capacity, board.Replay.Count, "the ring keeps its capacity, oldest overwritten");
            Assert.AreEqual(200L, board.Replay.Added);
            for (int i = 0; i < 50; i++)
            {
                board.TrainStep();
            }

            // The actor (the inference interpreter) acts with the loaded weights until it is synced, then with the learned ones.
            float[] Q(Interpreter it)
            {
                o.CopyTo(it.Input(1));
                it.Invoke(1);
                return it.Output(1).ToArray();
            }

            static void Near(float[] want, float[] have, string what)
            {
                for (int i = 0; i < want.Length; i++)
                {
                    Assert.AreEqual(want[i], have[i], 1e-5 * Math.Max(1, Math.Abs(want[i])), what);
                }
            }

            Near(q, Q(board.Actor), "before syncing: the loaded policy");
            float[] before = [.. board.Online.Weight(board.Online.Params[0].Name)];
            board.SyncActor();
            CollectionAssert.AreEqual(before, board.Online.Weight(board.Online.Params[0].Name).ToArray(), "syncing copies, it does not change the learner");
            o.CopyTo(board.Online.Input(1));
            board.Online.Forward(1);
            float[] learned = board.Online.Output(1).ToArray();
            Assert.IsGreaterThan(1e-4f, Math.Abs(learned[0] - q[0]) + Math.Abs(learned[1] - q[1]), "50 updates moved the Q-values");
            Near(learned, Q(board.Actor), "after syncing: the learner's Q-values through the packed inference kernels");

            long least = long.MaxValue;
            for (int w = 0; w < 3; w++)
            {
                long start = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 200; i++)
                {
                    board.TrainStep();
                    board.Act(o, 0.1);
                    if (i % 10 == 0)
                    {
                        board.UpdateTarget();
                        board.SyncActor();
                    }
                }

                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - start);
            }

            Assert.AreEqual(0L, least, "bytes allocated by 200 steps, actions and target/actor refreshes");
            Assert.AreEqual(50L + 600, board.GradientSteps);
        }
        finally
        {
            File.Delete(blob);
        }
    }

    [TestMethod]
    public void A_budget_without_room_for_one_transition_and_a_foreign_action_are_refused()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ReplayBuffer.FromBudget(40, 4));
        StringAssert.Contains(e.Message, "holds 0 transitions of 44 bytes");
        var agent = new DqnAgent(4, 2, new DqnOptions { Hidden = [8], BatchSize = 4 }, seed: 1);
        string blob = ExportAgent(agent);
        try
        {
            using var board = DqnLearner.Load(blob, new DqnLearnerOptions { BatchSize = 4 });
            var b = Transitions(4, 1);
            b.Actions[2] = 5;
            var a = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => board.TrainOn(b.Observations, b.Actions, b.Rewards, b.NextObservations, b.Terminated, 4));
            StringAssert.Contains(a.Message, "action 5 at row 2 is not one of the Q-network's 2 actions");
            Assert.ThrowsExactly<InvalidOperationException>(() => board.TrainStep(), "an empty ring cannot be sampled");
        }
        finally
        {
            File.Delete(blob);
        }
    }

    [TestMethod]
    public void Learn_runs_the_dqn_between_rig_ticks_and_measures_the_saved_blob()
    {
        var agent = new DqnAgent(4, 2, new DqnOptions { Hidden = [24, 24], BatchSize = 32 }, seed: 9);
        string blob = ExportAgent(agent), learned = blob + ".learned.enb";
        const string Rig = "pole_mass=0.15,latency=1";
        try
        {
            var (code, output, err) = CliRunner.Run("learn", blob, "--physics", Rig, "--steps", "3000", "--learning-starts", "500", "--train-every", "100",
                "--gradient-steps", "20", "--batch", "32", "--eval-episodes", "10", "--select-episodes", "10", "--eval-every", "1000", "--replay-mb", "1", "--out", learned);
            Assert.AreEqual(0, code, err);
            StringAssert.Contains(output, "rig physics pole_mass=0.15");
            StringAssert.Contains(output, "replay ring 23,831 transitions");
            // What is kept is what was judged best: the saved blob scores the printed greedy return on the selection starts.
            var kept = Regex.Match(output, @"kept the .*\(greedy ([0-9.]+) over 10 selection episodes\)");
            Assert.IsTrue(kept.Success, output);
            using var r = Formats.Enb.BlobReader.Open(learned, new Formats.Enb.BlobReadOptions { VerifyTensorHashes = true });
            Assert.AreEqual(26L * 20, r.GetMetadata("finetune.steps")!.AsInt64(), "updates at ticks 500, 600, ..., 3000: 26 bursts of 20");

            // The "after" figure is the saved blob's greedy return on the same rig and episode starts, as rollout gives it.
            double after = double.Parse(Regex.Match(output, @"after: +greedy mean return ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
            var (rc, rollout, _) = CliRunner.Run("rollout", learned, "--episodes", "10", "--seed", "1000001", "--physics", Rig);
            Assert.AreEqual(0, rc);
            Assert.AreEqual(after, double.Parse(Regex.Match(rollout, @"mean return ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture), 0.05);
            (rc, rollout, _) = CliRunner.Run("rollout", learned, "--episodes", "10", "--seed", "2000001", "--physics", Rig);
            Assert.AreEqual(0, rc);
            Assert.AreEqual(double.Parse(kept.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(Regex.Match(rollout, @"mean return ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture), 0.05, "the kept weights are the ones saved");
        }
        finally
        {
            File.Delete(blob);
            File.Delete(learned);
        }
    }

    [TestMethod]
    public void The_reference_actor_takes_new_weights_too_and_int8_layers_refuse_them()
    {
        var agent = new DqnAgent(4, 2, new DqnOptions { Hidden = [8, 8], BatchSize = 8 }, seed: 4);
        string blob = ExportAgent(agent), int8 = blob + ".int8.enb";
        try
        {
            using var board = DqnLearner.Load(blob, new DqnLearnerOptions { BatchSize = 8, Variant = KernelVariant.Reference, LearningRate = 0.05f });
            var b = Transitions(8, 3);
            for (int i = 0; i < 5; i++)
            {
                board.TrainOn(b.Observations, b.Actions, b.Rewards, b.NextObservations, b.Terminated, 8);
            }

            board.SyncActor();
            b.Observations.AsSpan(0, 4).CopyTo(board.Online.Input(1));
            board.Online.Forward(1);
            b.Observations.AsSpan(0, 4).CopyTo(board.Actor.Input(1));
            board.Actor.Invoke(1);
            for (int k = 0; k < 2; k++)
            {
                Assert.AreEqual(board.Online.Output(1)[k], board.Actor.Output(1)[k], 1e-5, "reference kernels after the sync");
            }

            DqnExport.Export(agent, int8, QuantizationScheme.Int8, new CartPoleOptions(), calibrationStates: 200);
            using var q = Interpreter.Load(int8);
            // A layer that computes in int8 (it has a requantization table; the float input layer only stores int8 weights).
            string layer = q.Blob.Tensors.First(t => t.Name.EndsWith("/requant", StringComparison.Ordinal)).Name.Split('/')[0];
            var kernel = q.Blob.Tensors.First(t => t.Name == layer + "/kernel");
            var e = Assert.ThrowsExactly<ArgumentException>(() => q.UpdateWeight(kernel.Name, new float[kernel.ElementCount]));
            StringAssert.Contains(e.Message, "int8 layers cannot take new weights");
        }
        finally
        {
            File.Delete(blob);
            File.Delete(int8);
        }
    }
}
