using EdgeNet.Rig.Replay;
using System.Diagnostics;
using System.Globalization;
using EdgeNet.Trainer.Rl;

namespace EdgeNet.Benchmarks;

/// <summary>
/// The DQN's costs on the CPU backend, as the PyTorch peer (pytorch_dqn_cartpole.py) prints them:
/// one gradient step at batch 64 on the 4-256-256-2 Q-network (TD targets from the target
/// network, forward, backward, clip, Adam), one greedy action at batch 1, and the step's FLOPs
/// against the SGEMM rate measured in the same run.
/// </summary>
internal static class Dqn
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>FLOPs of one gradient step: target forward on s', online forward on s, backward (dW for every layer, dX above the first).</summary>
    public static double StepFlops(int obs, IReadOnlyList<int> hidden, int actions, int batch, bool doubleDqn)
    {
        var widths = new List<int> { obs };
        widths.AddRange(hidden);
        widths.Add(actions);
        double forward = 0, backwardX = 0;
        for (int l = 0; l + 1 < widths.Count; l++)
        {
            double mm = 2.0 * batch * widths[l] * widths[l + 1];
            forward += mm;
            if (l > 0)
            {
                backwardX += mm;
            }
        }

        return (doubleDqn ? 3 : 2) * forward + forward + backwardX;   // forwards + dW (= forward) + dX
    }

    /// <summary>One gradient step and one greedy action on one thread (the trainer's default for the DQN).</summary>
    public static (double StepUs, double RoundStepUs, double ActUs) Run(double seconds, bool doubleDqn = false)
    {
        int saved = EdgeNet.Kernels.Simd.Gemm.MaxThreads;
        EdgeNet.Kernels.Simd.Gemm.MaxThreads = 1;
        try
        {
            return RunOneThread(seconds, doubleDqn);
        }
        finally
        {
            EdgeNet.Kernels.Simd.Gemm.MaxThreads = saved;
        }
    }

    private static (double StepUs, double RoundStepUs, double ActUs) RunOneThread(double seconds, bool doubleDqn)
    {
        var options = new DqnOptions { DoubleDqn = doubleDqn };
        var agent = new DqnAgent(4, 2, options, seed: 1);
        var rng = new Random(1);
        var buffer = new ReplayBuffer(10_000, 4);
        var o = new float[4];
        var o2 = new float[4];
        for (int i = 0; i < 10_000; i++)
        {
            for (int k = 0; k < 4; k++)
            {
                o[k] = (float)((rng.NextDouble() - 0.5) * 0.4);
                o2[k] = o[k] + (float)((rng.NextDouble() - 0.5) * 0.05);
            }

            buffer.Add(o, rng.Next(2), 1f, o2, rng.NextDouble() < 0.05);
        }

        var batch = new ReplayBatch(options.BatchSize, 4);
        double stepUs = Best(() =>
        {
            buffer.Sample(rng, batch);
            agent.TrainStep(batch);
        }, 200, seconds / 2);
        // As the run takes them: 128 steps per round, the round's TD targets in one batched pass.
        double roundUs = Best(() => agent.TrainRound(buffer, rng, options.GradientSteps), 2, seconds / 2) / options.GradientSteps;
        double actUs = Best(() => agent.Act(o), 2000, seconds / 2);
        return (stepUs, roundUs, actUs);
    }

    /// <summary>Best mean time per call (µs) over windows of <paramref name="n"/> calls, after a warm-up window.</summary>
    private static double Best(Action f, int n, double seconds)
    {
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int w = 0; w == 0 || total.Elapsed.TotalSeconds < seconds || w < 3; w++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
            {
                f();
            }

            if (w > 0)
            {
                best = Math.Min(best, sw.Elapsed.TotalMicroseconds / n);
            }
        }

        return best;
    }

    /// <summary>
    /// The same Q-network trained on the board: one Adam step of an edge-runtime <see cref="EdgeNet.Runtime.Training.TrainingSession"/>
    /// (Huber loss on given targets, global clip norm 10; forward, backward, clip, Adam — no target-network forward)
    /// and one greedy action through the inference interpreter, both on one thread.
    /// </summary>
    public static (double StepUs, double ActUs, double Flops) RunBoard(double seconds)
    {
        string blob = Path.Combine(Path.GetTempPath(), $"bench-q-{Environment.ProcessId}.enb");
        try
        {
            EdgeNet.Trainer.Keras.KerasBackend.SetRandomSeed(1);
            var model = new EdgeNet.Trainer.Keras.Models.Sequential([new EdgeNet.Trainer.Keras.Layers.Dense(256, activation: "relu"), new EdgeNet.Trainer.Keras.Layers.Dense(256, activation: "relu"), new EdgeNet.Trainer.Keras.Layers.Dense(2)]);
            var rng = new Random(1);
            var x = Enumerable.Range(0, 64 * 4).Select(_ => (float)((rng.NextDouble() - 0.5) * 0.4)).ToArray();
            using (EdgeNet.Trainer.Tensors.TensorScope.Begin())
            {
                model.Predict(EdgeNet.Trainer.Tensors.Tensor.FromArray(x.AsSpan(0, 4).ToArray(), [1, 4]));
            }

            EdgeNet.Trainer.Export.ModelExporter.ExportSamples(model, blob, new EdgeNet.Trainer.Export.QuantizationOptions { Scheme = EdgeNet.Trainer.Export.QuantizationScheme.F32 },
                [new EdgeNet.Trainer.Tensors.NDArray(x, [64, 4])], new Dictionary<string, EdgeNet.Formats.Enb.EnbValue>());
            using var session = EdgeNet.Runtime.Training.TrainingSession.Load(blob, new EdgeNet.Runtime.Training.TrainingOptions
            {
                MaxBatch = 64, Loss = EdgeNet.Runtime.Training.TrainingLoss.Huber, GlobalClipNorm = 10, LearningRate = 2.3e-3f,
            });
            x.CopyTo(session.Input(64));
            var t = session.Targets(64);
            for (int i = 0; i < t.Length; i++)
            {
                t[i] = (float)rng.NextDouble();
            }

            double stepUs = Best(() => session.Step(64), 200, seconds / 2);
            using var it = EdgeNet.Runtime.Interpreter.Load(blob);
            double actUs = Best(() =>
            {
                x.AsSpan(0, 4).CopyTo(it.Input(1));   // an observation per action, as the agent writes it (the arena may reuse its bytes)
                it.Invoke(1);
            }, 2000, seconds / 2);
            double flops = StepFlops(4, [256, 256], 2, 64, false) - (2.0 * 64 * ((4 * 256) + (256 * 256) + (256 * 2)));   // no target forward
            return (stepUs, actUs, flops);
        }
        finally
        {
            File.Delete(blob);
        }
    }

    public static void Print(double seconds, double sgemmGflops)
    {
        var (boardStep, boardAct, boardFlops) = RunBoard(seconds);
        double boardFloor = boardFlops / (sgemmGflops * 1e3);
        Console.WriteLine(string.Create(Inv, $"dqn on the board (edge runtime TrainingSession), 1 thread: one Adam step (batch 64, 4-256-256-2, Huber, clip) {boardStep:F0} us  ({boardFlops / 1e6:F1} MFLOP; at the 1-thread SGEMM rate {boardFloor:F0} us: {boardStep / boardFloor:F2}x)  one greedy action (interpreter, batch 1) {boardAct:F1} us"));

        foreach (bool dbl in new[] { false, true })
        {
            var (step, roundStep, act) = Run(seconds, dbl);
            double flops = StepFlops(4, [256, 256], 2, 64, dbl);
            double floor = flops / (sgemmGflops * 1e3);
            Console.WriteLine(string.Create(Inv, $"dqn{(dbl ? " (double)" : "")}, 1 thread: one gradient step (batch 64, 4-256-256-2) alone {step:F0} us, in a 128-step round {roundStep:F0} us  ({flops / 1e6:F1} MFLOP; at the 1-thread SGEMM rate {floor:F0} us: {step / floor:F2}x alone, {roundStep / floor:F2}x in a round)  one greedy action {act:F1} us"));
        }
    }
}

/// <summary>
/// The exported int8 Q-network against the float one it came from: the share of 10,000 states visited
/// by the float policy on which both choose the same action, and both greedy mean returns over the same
/// 100 episodes.
/// </summary>
internal static class DqnInt8
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Agreement on all visited states, and on the decisive ones (float margin |Q(left) − Q(right)| at
    /// least <paramref name="decisive"/>), the float margins' percentiles, and both greedy mean returns.
    /// </summary>
    public static (double Agreement, double DecisiveAgreement, int Decisive, float[] MarginPercentiles, double FloatMean, double Int8Mean) Measure(
        DqnAgent agent, string int8Path, float decisive = 0.1f, int states = 10_000, int seed = 777)
    {
        var env = EdgeNet.Rig.Physics.CartPoleOptions.Default;
        float[] visited = DqnExport.VisitedStates(agent, env, states, seed);
        var qFloat = new float[states * 2];
        agent.QValues(visited, states, qFloat);
        using var it = EdgeNet.Runtime.Interpreter.Load(int8Path, new EdgeNet.Runtime.InterpreterOptions { MaxBatch = 100 });
        int same = 0, decisiveCount = 0, decisiveSame = 0;
        for (int s = 0; s < states; s += 100)
        {
            visited.AsSpan(s * 4, 400).CopyTo(it.Input(100));
            it.Invoke(100);
            var q = it.Output(100);
            for (int i = 0; i < 100; i++)
            {
                float q0 = qFloat[2 * (s + i)], q1 = qFloat[(2 * (s + i)) + 1];
                bool agree = (q[(2 * i) + 1] > q[2 * i]) == (q1 > q0);
                same += agree ? 1 : 0;
                if (Math.Abs(q0 - q1) >= decisive)
                {
                    decisiveCount++;
                    decisiveSame += agree ? 1 : 0;
                }
            }
        }

        var margins = Enumerable.Range(0, states).Select(i => Math.Abs(qFloat[2 * i] - qFloat[(2 * i) + 1])).Order().ToArray();
        double floatMean = EdgeNet.Rig.Environments.Rollout.MeanReturn(agent.ActBatch, env, 100, seed);
        double int8Mean = EdgeNet.Rig.Environments.Rollout.MeanReturn((obs, n, actions) =>
        {
            obs.CopyTo(it.Input(n));
            it.Invoke(n);
            var q = it.Output(n);
            for (int i = 0; i < n; i++)
            {
                actions[i] = q[(2 * i) + 1] > q[2 * i] ? 1 : 0;
            }
        }, env, 100, seed);
        return ((double)same / states, (double)decisiveSame / Math.Max(1, decisiveCount), decisiveCount,
            [margins[states / 10], margins[states / 2], margins[states * 9 / 10]], floatMean, int8Mean);
    }

    /// <summary>dqn-int8 MODEL.keras.enb: loads a saved Q-network, exports it as int8 and measures it.</summary>
    public static void Print(string kerasPath)
    {
        var model = EdgeNet.Trainer.Keras.Models.Model.Load(kerasPath);
        var hidden = model.Variables.Where(v => v.Shape.Rank == 2).Select(v => v.Shape[1]).SkipLast(1).ToArray();
        var agent = new DqnAgent(4, 2, new DqnOptions { Hidden = hidden }, seed: 1);
        agent.Restore(model.Variables.Select(v => v.Numpy()).ToArray());
        string path = Path.Combine(Path.GetTempPath(), $"edgenet-dqn-int8-{Environment.ProcessId}.enb");
        DqnExport.Export(agent, path, EdgeNet.Trainer.Export.QuantizationScheme.Int8, EdgeNet.Rig.Physics.CartPoleOptions.Default);
        var r = Measure(agent, path);
        Console.WriteLine(string.Create(Inv, $"dqn int8 vs float ({Path.GetFileName(kerasPath)}, blob {new FileInfo(path).Length:N0} B): same action in {r.Agreement:P1} of 10,000 visited states, {r.DecisiveAgreement:P1} of the {r.Decisive} decisive ones (|Q(left) - Q(right)| >= 0.1); float margins p10 {r.MarginPercentiles[0]:G2} p50 {r.MarginPercentiles[1]:G2} p90 {r.MarginPercentiles[2]:G2}; greedy mean return float {r.FloatMean:F1}, int8 {r.Int8Mean:F1} (same 100 episodes)"));
        File.Delete(path);
    }
}
