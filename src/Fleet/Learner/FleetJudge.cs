using EdgeNet.Rig.Environments;
using EdgeNet.Runtime;

namespace EdgeNet.Fleet.Learner;

/// <summary>How announced models are judged.</summary>
public sealed record FleetJudgeOptions
{
    /// <summary>Transitions stored between two judgements (1,000: as <c>rig train</c>'s judge-every in ticks).</summary>
    public long JudgeEvery { get; init; } = 1_000;

    /// <summary>Greedy episodes per judgement.</summary>
    public int Episodes { get; init; } = 5;

    /// <summary>More greedy episodes before a judgement that beats the best is kept (the score is then the mean over all).</summary>
    public int ConfirmEpisodes { get; init; } = 20;

    /// <summary>The greedy mean return that counts as solved (475: CartPole-v1's threshold).</summary>
    public double Target { get; init; } = 475;
}

/// <summary>One judgement of an announced model.</summary>
/// <param name="Version">The model's version.</param>
/// <param name="Score">Its greedy mean return.</param>
/// <param name="Episodes">Episodes it was judged on.</param>
/// <param name="Kept">It beat the best so far and is now the kept model.</param>
/// <param name="Stored">Transitions stored (all boards' env steps) when the model was made.</param>
/// <param name="Elapsed">Time since the learner started, when the model was made.</param>
public readonly record struct Judgement(uint Version, double Score, int Episodes, bool Kept, long Stored, TimeSpan Elapsed);

/// <summary>
/// Judges the learner's announced models greedily in an environment of its own (a simulated rig with the boards' physics,
/// or a spare rig): the newest model when the last judgement is <see cref="FleetJudgeOptions.JudgeEvery"/> transitions old,
/// confirmed on more episodes when it beats the best, the best kept (DQN loses good policies while it learns on). Runs on
/// its own thread; the boards never wait for it.
/// </summary>
public sealed class FleetJudge(IEnvironment environment, FleetJudgeOptions options, string workDirectory) : IDisposable
{
    private readonly Lock _gate = new();
    private AnnouncedModel? _newest;
    private long? _lastJudgedStored;
    private readonly SemaphoreSlim _ready = new(0);

    /// <summary>The best judged score (NaN before the first).</summary>
    public double Best { get; private set; } = double.NaN;

    /// <summary>The kept model (null before the first judgement).</summary>
    public AnnouncedModel? BestModel { get; private set; }

    /// <summary>The first kept judgement at or above the target, or null.</summary>
    public Judgement? Solved { get; private set; }

    /// <summary>Every judgement, in order.</summary>
    public List<Judgement> Judgements { get; } = [];

    /// <summary>Raised after each judgement (the judge's thread).</summary>
    public event Action<Judgement>? Judged;

    /// <summary>Releases the wake-up signal.</summary>
    public void Dispose() => _ready.Dispose();

    /// <summary>An announced model (the learner's thread): judged when the judge is free and it is due.</summary>
    public void Offer(AnnouncedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_gate)
        {
            if (_lastJudgedStored is { } last && model.Stored - last < options.JudgeEvery)
            {
                return;
            }

            _newest = model;
        }

        _ready.Release();
    }

    /// <summary>Judges offered models until <paramref name="stop"/>.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        Directory.CreateDirectory(workDirectory);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _ready.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            AnnouncedModel? model;
            lock (_gate)
            {
                model = _newest;
                _newest = null;
                if (model is not null)
                {
                    _lastJudgedStored = model.Stored;
                }
            }

            if (model is not null)
            {
                Judge(model, stop);
            }
        }
    }

    /// <summary>Judges <paramref name="model"/> now (on the caller's thread).</summary>
    public Judgement Judge(AnnouncedModel model, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        string path = Path.Combine(workDirectory, "judged.enb");
        File.WriteAllBytes(path, model.Blob);
        using var it = Interpreter.Load(path, new InterpreterOptions { MaxBatch = 1 });
        int n = Math.Max(1, options.Episodes);
        double score = Greedy(it, n, stop);
        if ((double.IsNaN(Best) || score > Best) && options.ConfirmEpisodes > 0)
        {
            score = ((score * n) + (Greedy(it, options.ConfirmEpisodes, stop) * options.ConfirmEpisodes)) / (n + options.ConfirmEpisodes);
            n += options.ConfirmEpisodes;
        }

        bool kept = !stop.IsCancellationRequested && (double.IsNaN(Best) || score > Best);
        if (kept)
        {
            (Best, BestModel) = (score, model);
        }

        var j = new Judgement(model.Version, score, n, kept, model.Stored, model.Elapsed);
        if (kept && Solved is null && score >= options.Target)
        {
            Solved = j;
        }

        Judgements.Add(j);
        Judged?.Invoke(j);
        return j;
    }

    private double Greedy(Interpreter it, int episodes, CancellationToken stop)
    {
        double sum = 0;
        int done = 0;
        for (; done < episodes && !stop.IsCancellationRequested; done++)
        {
            var obs = environment.Reset();
            for (bool end = false; !end;)
            {
                var r = environment.Step(it.ArgMax(obs));
                sum += r.Reward;
                end = r.Done;
                obs = environment.Observation;
            }
        }

        return done == 0 ? 0 : sum / done;
    }
}
