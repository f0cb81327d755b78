using System.Globalization;
using System.Text.Json.Nodes;

namespace EdgeNet.Trainer.Rl;

/// <summary>
/// DQN hyperparameters. The defaults are the CartPole-v1 DQN hyperparameters published by
/// rl-baselines3-zoo (the same as the PyTorch peer script): 50,000 env steps, MLP 256-256, Adam
/// 2.3e-3, batch 64, buffer 100,000, learning starts 1,000, gamma 0.99, target update every 10 env
/// steps, 128 gradient steps every 256 env steps, ε 1 → 0.04 over the first 16% of the steps,
/// Huber loss, global gradient-norm clip 10.
/// </summary>
public sealed record DqnOptions
{
    /// <summary>Environment steps to train for.</summary>
    public int TotalSteps { get; init; } = 50_000;

    /// <summary>Hidden layer sizes of the Q-network (ReLU).</summary>
    public int[] Hidden { get; init; } = [256, 256];

    /// <summary>Adam's learning rate.</summary>
    public float LearningRate { get; init; } = 2.3e-3f;

    /// <summary>Transitions per gradient step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Capacity of the replay ring [transitions].</summary>
    public int BufferSize { get; init; } = 100_000;

    /// <summary>Environment steps before the first gradient step.</summary>
    public int LearningStarts { get; init; } = 1_000;

    /// <summary>Discount factor γ.</summary>
    public float Gamma { get; init; } = 0.99f;

    /// <summary>Hard copy of the online weights into the target network every this many env steps.</summary>
    public int TargetUpdateInterval { get; init; } = 10;

    /// <summary>Env steps between training rounds.</summary>
    public int TrainFrequency { get; init; } = 256;

    /// <summary>Gradient steps per training round.</summary>
    public int GradientSteps { get; init; } = 128;

    /// <summary>Share of the steps over which ε falls from initial to final.</summary>
    public float ExplorationFraction { get; init; } = 0.16f;

    /// <summary>ε at the start.</summary>
    public float InitialEpsilon { get; init; } = 1f;

    /// <summary>ε after the exploration fraction.</summary>
    public float FinalEpsilon { get; init; } = 0.04f;

    /// <summary>Global L2 norm the gradients are clipped to (null: off).</summary>
    public float? MaxGradNorm { get; init; } = 10f;

    /// <summary>Huber δ.</summary>
    public float HuberDelta { get; init; } = 1f;

    /// <summary>Double DQN: the online network picks the next action, the target network values it.</summary>
    public bool DoubleDqn { get; init; }

    /// <summary>Greedy evaluation every this many env steps (0: never).</summary>
    public int EvalEvery { get; init; } = 5_000;

    /// <summary>Episodes of each greedy evaluation.</summary>
    public int EvalEpisodes { get; init; } = 20;

    /// <summary>Episodes of the confirming evaluation that decides "solved".</summary>
    public int SolveEpisodes { get; init; } = 100;

    /// <summary>Greedy mean return that counts as solved (CartPole-v1: 475).</summary>
    public float SolveThreshold { get; init; } = 475f;

    /// <summary>Stop as soon as solved (default: run all steps, as the peer does).</summary>
    public bool StopWhenSolved { get; init; }

    /// <summary>Seed of the weights, the environment and the sampling.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>ε after <paramref name="step"/> env steps (1-based): linear from initial to final over the exploration fraction.</summary>
    public float Epsilon(long step)
    {
        double span = ExplorationFraction * TotalSteps;
        double progress = span <= 0 ? 1 : Math.Min(1, step / span);
        return (float)(InitialEpsilon + ((FinalEpsilon - InitialEpsilon) * progress));
    }

    /// <summary>Checks every value; the message names the option and the fix.</summary>
    public void Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok)
            {
                throw new ArgumentException($"DQN option {what}");
            }
        }

        Check(TotalSteps > 0, $"--steps must be > 0 (got {TotalSteps})");
        Check(Hidden.All(h => h > 0), "--hidden must list positive layer widths, e.g. 256,256 (none: a linear Q-function)");
        Check(LearningRate > 0 && float.IsFinite(LearningRate), $"--lr must be > 0 (got {LearningRate})");
        Check(BatchSize > 0, $"--batch-size must be > 0 (got {BatchSize})");
        Check(BufferSize >= BatchSize, $"--buffer-size ({BufferSize}) must be at least the batch size ({BatchSize})");
        Check(LearningStarts >= 0, "--learning-starts must be >= 0");
        Check(Gamma is >= 0 and <= 1, $"--gamma must be in [0, 1] (got {Gamma})");
        Check(TargetUpdateInterval > 0, "--target-update must be > 0");
        Check(TrainFrequency > 0, "--train-freq must be > 0");
        Check(GradientSteps >= 0, "--gradient-steps must be >= 0");
        Check(ExplorationFraction is >= 0 and <= 1, "--exploration-fraction must be in [0, 1]");
        Check(FinalEpsilon is >= 0 and <= 1 && InitialEpsilon is >= 0 and <= 1, "epsilon values must be in [0, 1]");
        Check(MaxGradNorm is null || MaxGradNorm > 0, "--max-grad-norm must be > 0");
        Check(EvalEvery >= 0 && EvalEpisodes > 0 && SolveEpisodes > 0, "--eval-every must be >= 0 and the episode counts > 0");
    }

    /// <summary>The hyperparameters as JSON (blob metadata, logs).</summary>
    public JsonObject ToJson() => new()
    {
        ["total_steps"] = TotalSteps,
        ["hidden"] = new JsonArray(Hidden.Select(h => (JsonNode)h).ToArray()),
        ["learning_rate"] = LearningRate,
        ["batch_size"] = BatchSize,
        ["buffer_size"] = BufferSize,
        ["learning_starts"] = LearningStarts,
        ["gamma"] = Gamma,
        ["target_update_interval"] = TargetUpdateInterval,
        ["train_freq"] = TrainFrequency,
        ["gradient_steps"] = GradientSteps,
        ["exploration_fraction"] = ExplorationFraction,
        ["exploration_initial_eps"] = InitialEpsilon,
        ["exploration_final_eps"] = FinalEpsilon,
        ["max_grad_norm"] = MaxGradNorm,
        ["huber_delta"] = HuberDelta,
        ["double_q"] = DoubleDqn,
        ["seed"] = Seed,
    };

    /// <summary>The hyperparameters on one line.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{TotalSteps} env steps, MLP {string.Join('-', Hidden)}, Adam {LearningRate}, batch {BatchSize}, buffer {BufferSize}, starts {LearningStarts}, gamma {Gamma}, target every {TargetUpdateInterval}, {GradientSteps} gradient steps every {TrainFrequency}, eps {InitialEpsilon}->{FinalEpsilon} over {ExplorationFraction:P0}{(DoubleDqn ? ", double DQN" : "")}");
}
