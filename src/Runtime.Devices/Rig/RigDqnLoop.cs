using EdgeNet.Rig.CartPole;

namespace EdgeNet.Runtime.Training.Rl;

/// <summary>How the board learns on the rig.</summary>
public sealed record RigDqnLoopOptions
{
    /// <summary>Exploration while learning (ε-greedy; the host's DQN ends at 0.04).</summary>
    public double Epsilon { get; init; } = 0.04;

    /// <summary>Ticks of experience before the first gradient step.</summary>
    public long LearningStarts { get; init; } = 1_000;

    /// <summary>Gradient steps per tick, spread over the ticks (the zoo's 128 per 256 steps: 0.5), so no tick's work comes near the period.</summary>
    public double GradientStepsPerTick { get; init; } = 0.5;

    /// <summary>Ticks between target-network copies.</summary>
    public int TargetEvery { get; init; } = 10;

    /// <summary>Gradient steps between refreshes of the actor's packed weights.</summary>
    public int SyncEvery { get; init; } = 128;

    /// <summary>Ticks of learning between greedy judgements on the rig that keep the best weights (0: keep the last).</summary>
    public long JudgeEvery { get; init; } = 1_000;

    /// <summary>Greedy episodes per judgement.</summary>
    public int JudgeEpisodes { get; init; } = 5;

    /// <summary>More greedy episodes run when a judgement beats the best so far, before it is kept (its score is then the mean over all): a few lucky episodes do not replace a policy measured on many.</summary>
    public int ConfirmEpisodes { get; init; } = 20;
}

/// <summary>One finished episode on the rig.</summary>
/// <param name="Episode">Episodes so far, this one included (judging episodes too).</param>
/// <param name="Greedy">A judging episode (ε 0, no learning).</param>
/// <param name="Ticks">Ticks on the rig so far.</param>
/// <param name="Return">The episode's return.</param>
/// <param name="Reason">Why it ended (null: truncated at the episode limit).</param>
/// <param name="Loss">The last gradient step's Huber loss (NaN before the first).</param>
public readonly record struct RigEpisode(long Episode, bool Greedy, long Ticks, float Return, string? Reason, float Loss);

/// <summary>
/// The DQN on the rig, tick by tick: read the state, act ε-greedily through the actor, drive the motor, then
/// learn in the time left before the next tick (a share of a gradient step per tick, so the tick's work stays
/// a small part of the period), then wait for the tick and remember the transition. Transitions that ended
/// because of a safety stop other than the angle and travel limits (a switch, the e-stop, the watchdog, a
/// cancellation) are not remembered: they say nothing about the pole. Every <see cref="RigDqnLoopOptions.JudgeEvery"/>
/// ticks the greedy policy is judged on the rig itself and the best weights are kept.
/// </summary>
public sealed class RigDqnLoop(GpioCartPoleRig rig, DqnLearner learner, RigDqnLoopOptions options)
{
    private readonly float[] _obs = new float[4];
    private double _credit;
    private long _sinceSync;
    private long _sinceJudge;

    /// <summary>Ticks on the rig (resumed runs start from the checkpoint's count).</summary>
    public long Ticks { get; set; }

    /// <summary>Episodes so far.</summary>
    public long Episodes { get; set; }

    /// <summary>The best greedy mean return judged so far (NaN before the first judgement).</summary>
    public double BestJudged { get; set; } = double.NaN;

    /// <summary>The episode in which the kept weights were judged best (0: the loaded weights).</summary>
    public long BestEpisode { get; set; }

    /// <summary>The last gradient step's loss.</summary>
    public float Loss { get; private set; } = float.NaN;

    /// <summary>Raised after every episode (log rows, status lines, checkpoints).</summary>
    public event Action<RigEpisode>? EpisodeEnded;

    /// <summary>Raised after each judgement: (mean greedy return, kept as best).</summary>
    public event Action<double, bool>? Judged;

    /// <summary>Runs until <paramref name="ticks"/> more ticks have passed (at an episode's end) or the cancellation.</summary>
    public void Run(long ticks, CancellationToken cancel)
    {
        long end = Ticks + ticks;
        if (options.JudgeEvery > 0 && double.IsNaN(BestJudged))
        {
            BestJudged = Judge(Math.Max(1, options.JudgeEpisodes) + options.ConfirmEpisodes, cancel); // the loaded policy is the first candidate
            learner.KeepBest();
            Judged?.Invoke(BestJudged, true);
        }

        while (Ticks < end && !cancel.IsCancellationRequested)
        {
            Episode(options.Epsilon, learn: true, cancel);
            if (options.JudgeEvery > 0 && _sinceJudge >= options.JudgeEvery && learner.GradientSteps > 0 && !cancel.IsCancellationRequested)
            {
                _sinceJudge = 0;
                double score = Judge(cancel);
                if (score > BestJudged && options.ConfirmEpisodes > 0)
                {
                    int n = Math.Max(1, options.JudgeEpisodes);
                    score = ((score * n) + (Judge(options.ConfirmEpisodes, cancel) * options.ConfirmEpisodes)) / (n + options.ConfirmEpisodes);
                }

                bool better = !cancel.IsCancellationRequested && score > BestJudged;
                if (better)
                {
                    (BestJudged, BestEpisode) = (score, Episodes);
                    learner.KeepBest();
                }

                Judged?.Invoke(score, better);
            }
        }
    }

    /// <summary>The greedy mean return of <see cref="RigDqnLoopOptions.JudgeEpisodes"/> episodes on the rig (no learning; transitions still remembered).</summary>
    public double Judge(CancellationToken cancel) => Judge(Math.Max(1, options.JudgeEpisodes), cancel);

    private double Judge(int episodes, CancellationToken cancel)
    {
        double sum = 0;
        int n = 0;
        for (; n < episodes && !cancel.IsCancellationRequested; n++)
        {
            sum += Episode(0, learn: false, cancel);
        }

        return n == 0 ? 0 : sum / n;
    }

    /// <summary>
    /// The greedy mean return of <paramref name="episodes"/> episodes measured on the rig (before and after
    /// learning): nothing is learned, remembered, counted or logged. A cancellation ends it early (the mean of
    /// the episodes finished; 0 when none).
    /// </summary>
    public double Evaluate(int episodes, CancellationToken cancel)
    {
        double sum = 0;
        int n = 0;
        try
        {
            for (; n < episodes && !cancel.IsCancellationRequested; n++)
            {
                sum += Episode(0, learn: false, cancel, measureOnly: true);
            }
        }
        catch (OperationCanceledException)
        {
            // a signal before an episode started: the motor is stopped; report what was measured
        }

        return n == 0 ? 0 : sum / n;
    }

    private float Episode(double epsilon, bool learn, CancellationToken cancel, bool measureOnly = false)
    {
        rig.Reset(null, cancel).CopyTo(_obs);
        float ret = 0;
        while (true)
        {
            int action = learner.Act(_obs, epsilon);
            rig.Apply(action);
            if (learn)
            {
                LearnBetweenTicks();
            }

            var r = rig.Advance(cancel);
            ret += r.Reward;
            var next = rig.Observation;
            if (measureOnly)
            {
                if (r.Done)
                {
                    break;
                }

                next.CopyTo(_obs);
                continue;
            }

            Ticks++;
            _sinceJudge += learn ? 1 : 0;
            bool physical = !r.Terminated || RigEnvironment.IsPhysicalEnd(rig.TerminationReason);
            if (physical)
            {
                learner.Remember(_obs, action, r.Reward, next, r.Terminated);
            }

            if (Ticks % options.TargetEvery == 0)
            {
                learner.UpdateTarget();
            }

            if (r.Done)
            {
                break;
            }

            next.CopyTo(_obs);
        }

        if (_sinceSync > 0)
        {
            learner.SyncActor();
            _sinceSync = 0;
        }

        if (measureOnly)
        {
            return ret;
        }

        Episodes++;
        EpisodeEnded?.Invoke(new RigEpisode(Episodes, !learn, Ticks, ret, rig.TerminationReason, Loss));
        return ret;
    }

    private void LearnBetweenTicks()
    {
        if (Ticks < options.LearningStarts || learner.Replay.Count < learner.Options.BatchSize)
        {
            return;
        }

        _credit += options.GradientStepsPerTick;
        while (_credit >= 1)
        {
            Loss = learner.TrainStep();
            _credit -= 1;
            if (++_sinceSync >= options.SyncEvery)
            {
                learner.SyncActor();
                _sinceSync = 0;
            }
        }
    }
}
