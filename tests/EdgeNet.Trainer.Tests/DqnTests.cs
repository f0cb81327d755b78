using EdgeNet.Rig.Replay;
using EdgeNet.Rig.Physics;
using EdgeNet.Trainer.Rl;

namespace EdgeNet.Trainer.Tests;

/// <summary>The DQN's parts against hand computations and statistics: replay ring, TD targets, Huber gradients, Double DQN.</summary>
[TestClass]
public sealed class DqnTests
{
    private static float[] Obs(float a, float b) => [a, b];

    [TestMethod]
    public void Replay_ring_wraps_around_and_overwrites_the_oldest()
    {
        var buffer = new ReplayBuffer(capacity: 5, observationSize: 2);
        for (int i = 0; i < 8; i++)
        {
            buffer.Add(Obs(i, -i), i % 2, i * 10, Obs(i + 0.5f, 0), terminated: i == 6);
        }

        Assert.AreEqual(5, buffer.Count);
        Assert.AreEqual(8, buffer.Added);
        Assert.AreEqual(3, buffer.NextSlot);
        // Slots 0..2 hold transitions 5, 6, 7 (overwritten); slots 3, 4 still hold 3, 4.
        int[] expected = [5, 6, 7, 3, 4];
        for (int slot = 0; slot < 5; slot++)
        {
            var (o, a, r, next, term) = buffer.Get(slot);
            int t = expected[slot];
            CollectionAssert.AreEqual(Obs(t, -t), o, $"slot {slot}");
            Assert.AreEqual(t % 2, a);
            Assert.AreEqual(t * 10f, r);
            CollectionAssert.AreEqual(Obs(t + 0.5f, 0), next);
            Assert.AreEqual(t == 6, term);
        }
    }

    [TestMethod]
    public void Replay_sampling_is_uniform_over_the_filled_slots()
    {
        // Chi-square over 50 slots, 100,000 draws: 49 degrees of freedom, the 0.999 quantile is 85.35.
        const int Slots = 50, Draws = 100_000;
        var buffer = new ReplayBuffer(Slots, 1);
        for (int i = 0; i < Slots + 17; i++)
        {
            buffer.Add([i], 0, 0, [i], false);
        }

        var batch = new ReplayBatch(1000, 1);
        var counts = new int[Slots];
        var rng = new Random(4);
        for (int d = 0; d < Draws / batch.Size; d++)
        {
            buffer.Sample(rng, batch);
            foreach (int i in batch.Indices)
            {
                counts[i]++;
            }
        }

        double expected = (double)Draws / Slots;
        double chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.IsLessThan(85.35, chi2, $"chi-square {chi2:F1} over {Slots} slots");
        Assert.IsGreaterThan(20.0, chi2, "suspiciously uniform (the 0.001 quantile of chi-square(49) is 23.0)");
    }

    [TestMethod]
    public void Replay_never_samples_an_empty_slot()
    {
        var buffer = new ReplayBuffer(100, 3);
        var batch = new ReplayBatch(64, 3);
        Assert.ThrowsExactly<InvalidOperationException>(() => buffer.Sample(new Random(1), batch));
        for (int i = 0; i < 10; i++)
        {
            buffer.Add([1 + i, 1, 1], 1, 1, [1, 1, 1], false);
        }

        var rng = new Random(2);
        for (int round = 0; round < 200; round++)
        {
            buffer.Sample(rng, batch);
            Assert.IsTrue(batch.Indices.All(i => i < 10), "an index past the 10 filled slots");
            Assert.IsTrue(batch.Observations.All(v => v >= 1), "a zero (never written) observation was sampled");
        }
    }

    /// <summary>
    /// A linear Q-function (no hidden layer) on 2-value observations, so every number is a hand
    /// computation: Q(s) = s·W + b with W = [[1, 2], [3, −1]], b = [0.5, −0.5]; target W_t =
    /// [[0.5, 0], [0, 2]], b_t = 0; γ = 0.99. Transition 1: s = (1, 0), a = 0, r = 1, s' = (2, 1), not
    /// terminal; transition 2: s = (0, 1), a = 1, r = 1, s' = (1, 1), terminal.
    /// </summary>
    private static (DqnAgent Agent, ReplayBatch Batch) HandCase(bool doubleDqn)
    {
        var agent = new DqnAgent(2, 2, new DqnOptions { Hidden = [], BatchSize = 2, Gamma = 0.99f, DoubleDqn = doubleDqn, LearningRate = 0.01f }, seed: 1);
        agent.Online.Variables[0].Assign([1f, 2f, 3f, -1f]);
        agent.Online.Variables[1].Assign([0.5f, -0.5f]);
        agent.Target.Variables[0].Assign([0.5f, 0f, 0f, 2f]);
        agent.Target.Variables[1].Assign([0f, 0f]);
        var batch = new ReplayBatch(2, 2);
        float[] s = [1, 0, 0, 1], s2 = [2, 1, 1, 1];
        s.CopyTo(batch.Observations, 0);
        s2.CopyTo(batch.NextObservations, 0);
        batch.Actions[0] = 0;
        batch.Actions[1] = 1;
        batch.Rewards[0] = batch.Rewards[1] = 1;
        batch.Terminated[0] = 0;
        batch.Terminated[1] = 1;
        return (agent, batch);
    }

    [TestMethod]
    public void TD_target_Huber_loss_and_gradient_by_hand()
    {
        var (agent, batch) = HandCase(doubleDqn: false);
        var y = new float[2];
        agent.TdTargets(batch, y);
        // Q_t(s'₁) = (2·0.5, 1·2) = (1, 2): y₁ = 1 + 0.99·max = 2.98. s'₂ is terminal: y₂ = r = 1.
        Assert.AreEqual(2.98f, y[0], 1e-6f);
        Assert.AreEqual(1f, y[1], "a terminal transition does not bootstrap");

        // Q(s₁) = (1.5, 1.5), a₁ = 0: δ₁ = 1.5 − 2.98 = −1.48 (linear part); Q(s₂) = (3.5, −1.5), a₂ = 1: δ₂ = −2.5.
        // Huber(δ) = |δ| − ½ beyond 1: loss = mean(0.98, 2.0) = 1.49; dL/dq = sign(δ)/2 = (−0.5, −0.5).
        var (loss, grads) = agent.Gradients(batch);
        Assert.AreEqual(1.49, loss, 1e-6);
        CollectionAssert.AreEqual(new[] { -0.5f, 0f, 0f, -0.5f }, grads[0], "dW[:, a] = s·dL/dq");
        CollectionAssert.AreEqual(new[] { -0.5f, -0.5f }, grads[1], "db[a] = dL/dq");
    }

    [TestMethod]
    public void Quadratic_part_of_the_Huber_loss_by_hand()
    {
        var (agent, batch) = HandCase(doubleDqn: false);
        agent.Target.Variables[0].Assign([0.5f, 0f, 0f, 0.5f]);   // Q_t(s'₁) = (1, 0.5): y₁ = 1.99, δ₁ = −0.49 inside δ = 1
        var (loss, grads) = agent.Gradients(batch);
        Assert.AreEqual(((0.5 * 0.49 * 0.49) + 2.0) / 2, loss, 1e-6);
        Assert.AreEqual(-0.245f, grads[0][0], 1e-6f, "dL/dq₁ = δ₁ / batch");
        Assert.AreEqual(-0.245f, grads[1][0], 1e-6f);
    }

    [TestMethod]
    public void Double_DQN_takes_the_online_argmax_and_the_target_value()
    {
        var (agent, batch) = HandCase(doubleDqn: true);
        var y = new float[2];
        agent.TdTargets(batch, y);
        // Online Q(s'₁) = (2·1 + 1·3 + 0.5, 2·2 − 1 − 0.5) = (5.5, 2.5): argmax 0; the target values it Q_t(s'₁)[0] = 1,
        // not its own max 2: y₁ = 1 + 0.99·1 = 1.99.
        Assert.AreEqual(1.99f, y[0], 1e-6f);
        Assert.AreEqual(1f, y[1]);
        var (loss, grads) = agent.Gradients(batch);
        Assert.AreEqual(((0.5 * 0.49 * 0.49) + 2.0) / 2, loss, 1e-6);
        CollectionAssert.AreEqual(new[] { -0.245f, 0f, 0f, -0.5f }, grads[0].Select(g => MathF.Round(g, 6)).ToArray());
    }

    [TestMethod]
    public void A_train_step_is_one_Adam_update_of_the_hand_gradient()
    {
        // First Adam step: m̂ = g, v̂ = g², so each weight moves by −lr·g/(|g| + ε): −0.01·sign(g), zero where g = 0.
        var (agent, batch) = HandCase(doubleDqn: false);
        float loss = agent.TrainStep(batch);
        Assert.AreEqual(1.49f, loss, 1e-6f);
        float[] w = agent.Online.Variables[0].Numpy(), b = agent.Online.Variables[1].Numpy();
        float[] expectedW = [1.01f, 2f, 3f, -0.99f], expectedB = [0.51f, -0.49f];
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual(expectedW[i], w[i], 1e-6f, $"W[{i}]");
        }

        for (int i = 0; i < 2; i++)
        {
            Assert.AreEqual(expectedB[i], b[i], 1e-6f, $"b[{i}]");
        }
    }

    [TestMethod]
    public void A_round_with_batched_targets_equals_one_step_at_a_time()
    {
        // TrainRound values all batches of a round with one target pass; it must give the weights of
        // sampling and stepping one batch at a time (the target network and the ring are fixed within a round).
        var options = new DqnOptions { Hidden = [32, 32], BatchSize = 16 };
        var buffer = new ReplayBuffer(500, 4);
        var fill = new Random(3);
        for (int i = 0; i < 500; i++)
        {
            float[] o = [.. Enumerable.Range(0, 4).Select(_ => (float)(fill.NextDouble() - 0.5))];
            buffer.Add(o, fill.Next(2), 1f, [.. o.Select(v => v * 1.01f)], fill.NextDouble() < 0.1);
        }

        var batched = new DqnAgent(4, 2, options, seed: 9);
        var stepwise = new DqnAgent(4, 2, options, seed: 9);
        var batch = new ReplayBatch(16, 4);
        buffer.Sample(new Random(1), batch);
        batched.TrainStep(batch);     // online ≠ target from here on, as within a real round
        stepwise.TrainStep(batch);
        batched.TrainRound(buffer, new Random(5), steps: 12);
        var rng = new Random(5);
        for (int s = 0; s < 12; s++)
        {
            buffer.Sample(rng, batch);
            stepwise.TrainStep(batch);
        }

        for (int v = 0; v < batched.Online.Variables.Count; v++)
        {
            float[] a = batched.Online.Variables[v].Numpy(), b = stepwise.Online.Variables[v].Numpy();
            for (int i = 0; i < a.Length; i++)
            {
                Assert.AreEqual(b[i], a[i], 1e-6f * Math.Max(1, Math.Abs(b[i])), $"variable {v} [{i}]");
            }
        }

        Assert.AreEqual(13, batched.GradientSteps);
    }

    [TestMethod]
    public void Truncated_transitions_are_stored_as_bootstrapping_and_terminal_ones_not()
    {
        // 5-step episodes cannot reach a terminal state from ±0.05 in 5 ticks: every end is a truncation.
        var truncating = new DqnTrainer(new DqnOptions { TotalSteps = 20, LearningStarts = 1000, EvalEvery = 0 }, CartPoleOptions.Parse("max_steps=5"));
        var r = truncating.Train();
        Assert.HasCount(4, r.Episodes);
        Assert.IsTrue(r.Episodes.All(e => e.Length == 5 && e.Return == 5));
        Assert.AreEqual(20, truncating.Buffer.Count);
        for (int i = 0; i < 20; i++)
        {
            Assert.IsFalse(truncating.Buffer.Get(i).Terminated, $"transition {i} ends by time limit, not failure: it must bootstrap");
        }

        // A 0.03 rad threshold ends most episodes in failure within a few ticks: those transitions are terminal.
        var failing = new DqnTrainer(new DqnOptions { TotalSteps = 200, LearningStarts = 1000, EvalEvery = 0 }, CartPoleOptions.Parse("theta_threshold=0.03"));
        failing.Train();
        int terminal = 0;
        for (int i = 0; i < failing.Buffer.Count; i++)
        {
            var (_, _, _, next, term) = failing.Buffer.Get(i);
            Assert.AreEqual(Math.Abs(next[2]) > 0.03 || Math.Abs(next[0]) > 2.4, term, $"transition {i}");
            terminal += term ? 1 : 0;
        }

        Assert.IsGreaterThan(10, terminal);
    }

    [TestMethod]
    public void Epsilon_falls_linearly_over_the_exploration_fraction()
    {
        var o = new DqnOptions();   // 50,000 steps, 16%: 1 → 0.04 over the first 8,000
        Assert.AreEqual(1f, o.Epsilon(0), 1e-6f);
        Assert.AreEqual(1f - (0.96f * 0.5f), o.Epsilon(4000), 1e-6f);
        Assert.AreEqual(0.04f, o.Epsilon(8000), 1e-6f);
        Assert.AreEqual(0.04f, o.Epsilon(49_999), 1e-6f);
    }
}
