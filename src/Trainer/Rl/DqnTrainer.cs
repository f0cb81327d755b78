using EdgeNet.Rig.Replay;
using System.Diagnostics;
using EdgeNet.Rig.Environments;
using EdgeNet.Rig.Physics;

namespace EdgeNet.Trainer.Rl;

/// <summary>One finished training episode (a row of the episode log).</summary>
public sealed record EpisodeRecord(int Episode, long EnvSteps, float Return, int Length, float Epsilon, double MeanReturn100, double WallSeconds);

/// <summary>One greedy evaluation during training.</summary>
public sealed record EvalRecord(long EnvSteps, double MeanReturn, int Episodes, double? ConfirmMean, double WallSeconds);

/// <summary>Where a DQN run stands (the live progress line).</summary>
public readonly record struct DqnProgress(long EnvSteps, int Episodes, double MeanReturn100, float Epsilon, double EnvStepsPerSecond, long GradientSteps, float Loss);

/// <summary>What a DQN run measured.</summary>
public sealed record DqnResult(
    long? SolvedAtStep,
    double? SolvedMeanReturn,
    double? SolvedWallSeconds,
    double BestEvalMean,
    long BestEvalStep,
    double WallSeconds,
    double GradientSeconds,
    long GradientSteps,
    IReadOnlyList<EpisodeRecord> Episodes,
    IReadOnlyList<EvalRecord> Evaluations)
{
    /// <summary>True when an evaluation reached the threshold and its confirmation did too.</summary>
    public bool Solved => SolvedAtStep is not null;
}

/// <summary>Receives the run's events (the command line prints them; tests ignore them).</summary>
public interface IDqnReporter
{
    /// <summary>Called now and then with the run's counters.</summary>
    void OnProgress(in DqnProgress progress) { }

    /// <summary>Called after each episode.</summary>
    void OnEpisode(EpisodeRecord episode) { }

    /// <summary>Called after each greedy evaluation.</summary>
    void OnEvaluation(EvalRecord evaluation) { }
}

/// <summary>
/// The DQN training loop on an <see cref="IEnvironment"/> (CartPole by default), as
/// stable-baselines3 runs it: ε-greedy acting, every transition into the replay ring, after
/// <c>learning_starts</c> a round of <c>gradient_steps</c> updates every <c>train_freq</c> env steps,
/// the target network copied every <c>target_update_interval</c> env steps, and a greedy evaluation
/// every <c>eval_every</c> env steps. "Solved" is the first evaluation whose mean reaches the
/// threshold and whose confirming evaluation over <c>SolveEpisodes</c> episodes does too; the
/// weights of the best evaluation are restored at the end (<see cref="DqnResult.BestEvalStep"/>).
/// </summary>
public sealed class DqnTrainer
{
    /// <summary>A DQN run with <paramref name="options"/> on CartPole (or the rig's deviations in <paramref name="environment"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public DqnTrainer(DqnOptions options, CartPoleOptions? environment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Environment = environment ?? CartPoleOptions.Default;
        Agent = new DqnAgent(4, 2, options, options.Seed);
        Buffer = new ReplayBuffer(options.BufferSize, 4);
    }

    /// <summary>The replay ring the run fills (inspectable after <see cref="Train"/>).</summary>
    public ReplayBuffer Buffer { get; }

    /// <summary>The hyperparameters.</summary>
    public DqnOptions Options { get; }

    /// <summary>The environment's physics.</summary>
    public CartPoleOptions Environment { get; }

    /// <summary>The networks being trained.</summary>
    public DqnAgent Agent { get; }

    /// <summary>Greedy mean return of the online network over <paramref name="episodes"/> episodes from seeds seed, seed+1, ...</summary>
    public double Evaluate(int episodes, int seed) => Rollout.MeanReturn(Agent.ActBatch, Environment, episodes, seed);

    /// <summary>Runs the training loop for <see cref="DqnOptions.TotalSteps"/> steps (or until solved with <see cref="DqnOptions.StopWhenSolved"/>), reporting to <paramref name="reporter"/>; the best evaluation's weights are restored at the end.</summary>
    public DqnResult Train(IDqnReporter? reporter = null)
    {
        var o = Options;
        var env = new CartPoleEnv(Environment);
        var rng = new Random(o.Seed);
        var buffer = Buffer;
        var previous = new float[env.ObservationSize];
        var episodes = new List<EpisodeRecord>();
        var evals = new List<EvalRecord>();
        var recent = new Queue<float>();
        double recentSum = 0;
        float[][]? best = null;
        double bestMean = double.NegativeInfinity;
        long bestStep = 0;
        long? solvedAt = null;
        double? solvedMean = null, solvedWall = null;
        float episodeReturn = 0, loss = float.NaN;
        int episodeLength = 0;
        var wall = Stopwatch.StartNew();
        var gradientTime = new Stopwatch();
        env.Reset(o.Seed);
        for (long step = 1; step <= o.TotalSteps; step++)
        {
            float eps = o.Epsilon(step);
            int action = rng.NextDouble() < eps ? rng.Next(env.ActionCount) : Agent.Act(env.Observation);
            env.Observation.CopyTo(previous);
            var r = env.Step(action);
            buffer.Add(previous, action, r.Reward, env.Observation, r.Terminated);
            episodeReturn += r.Reward;
            episodeLength++;
            if (r.Done)
            {
                recent.Enqueue(episodeReturn);
                recentSum += episodeReturn;
                if (recent.Count > 100)
                {
                    recentSum -= recent.Dequeue();
                }

                var record = new EpisodeRecord(episodes.Count + 1, step, episodeReturn, episodeLength, eps, recentSum / recent.Count, wall.Elapsed.TotalSeconds);
                episodes.Add(record);
                reporter?.OnEpisode(record);
                episodeReturn = 0;
                episodeLength = 0;
                env.Reset();
            }

            if (step > o.LearningStarts && step % o.TrainFrequency == 0)
            {
                gradientTime.Start();
                loss = Agent.TrainRound(buffer, rng, o.GradientSteps);
                gradientTime.Stop();
            }

            if (step % o.TargetUpdateInterval == 0)
            {
                Agent.UpdateTarget();
            }

            if (o.EvalEvery > 0 && step % o.EvalEvery == 0)
            {
                int evalSeed = unchecked((o.Seed * 1_000_003) + (int)step);
                double mean = Evaluate(o.EvalEpisodes, evalSeed);
                double? confirm = null;
                if (mean >= o.SolveThreshold && solvedAt is null)
                {
                    confirm = Evaluate(o.SolveEpisodes, unchecked(evalSeed + 7919));
                    if (confirm >= o.SolveThreshold)
                    {
                        (solvedAt, solvedMean, solvedWall) = (step, confirm, wall.Elapsed.TotalSeconds);
                    }
                }

                // The best policy so far: ranked by the confirming evaluation where there was one.
                double score = confirm ?? Math.Min(mean, o.SolveThreshold - 1e-3);
                if (score > bestMean)
                {
                    (bestMean, bestStep, best) = (score, step, Agent.Snapshot());
                }

                var e = new EvalRecord(step, mean, o.EvalEpisodes, confirm, wall.Elapsed.TotalSeconds);
                evals.Add(e);
                reporter?.OnEvaluation(e);
                if (solvedAt is not null && o.StopWhenSolved)
                {
                    break;
                }
            }

            if (step % 500 == 0 || step == o.TotalSteps)
            {
                reporter?.OnProgress(new DqnProgress(step, episodes.Count, recent.Count == 0 ? 0 : recentSum / recent.Count, eps,
                    step / Math.Max(wall.Elapsed.TotalSeconds, 1e-9), Agent.GradientSteps, loss));
            }
        }

        wall.Stop();
        if (best is not null)
        {
            Agent.Restore(best);
        }

        return new DqnResult(solvedAt, solvedMean, solvedWall, best is null ? double.NaN : bestMean, bestStep, wall.Elapsed.TotalSeconds,
            gradientTime.Elapsed.TotalSeconds, Agent.GradientSteps, episodes, evals);
    }
}
