namespace EdgeNet.Runtime.Training;

/// <summary>The loss a training session minimizes (Keras semantics: the mean over the last axis, then over the batch).</summary>
public enum TrainingLoss
{
    /// <summary>Integer class labels; from probabilities when the graph ends in softmax (clipped to [ε, 1−ε]), else from logits.</summary>
    SparseCategoricalCrossentropy,

    /// <summary>Targets of the output's shape: mean of (y − t)².</summary>
    MeanSquaredError,

    /// <summary>Targets of the output's shape: mean of the Huber function with <see cref="TrainingOptions.HuberDelta"/>.</summary>
    Huber,

    /// <summary>
    /// The DQN's TD loss: targets are (action taken, TD target y) per sample; the Huber function of Q(s, a) − y,
    /// averaged over the batch (the other actions' outputs get no gradient).
    /// </summary>
    HuberAtAction,
}

/// <summary>The update rule of a <see cref="TrainingSession"/>.</summary>
public enum TrainingOptimizer
{
    /// <summary>Adam as the trainer (Keras) updates: bias correction folded into the step size, ε outside the root.</summary>
    Adam,

    /// <summary>SGD with optional (Nesterov) momentum, Keras form.</summary>
    Sgd,
}

/// <summary>What a <see cref="TrainingSession"/> learns and how; checked when the session is created.</summary>
public sealed record TrainingOptions
{
    /// <summary>
    /// The layers that learn: <c>all</c>, <c>last:K</c> (the last K layers with weights), layer names (comma-separated),
    /// or <c>none</c> (a forward-only session: a DQN's target network or actor, planned without gradients).
    /// </summary>
    public string Layers { get; init; } = "all";

    /// <summary>Largest batch a step is given; the arena is planned for it.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>The loss minimized.</summary>
    public TrainingLoss Loss { get; init; } = TrainingLoss.SparseCategoricalCrossentropy;

    /// <summary>Where the Huber loss turns from quadratic to linear.</summary>
    public float HuberDelta { get; init; } = 1f;

    /// <summary>The update rule (Adam by default).</summary>
    public TrainingOptimizer Optimizer { get; init; } = TrainingOptimizer.Adam;

    /// <summary>The step size.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Adam's decay of the first moment.</summary>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary>Adam's decay of the second moment.</summary>
    public float Beta2 { get; init; } = 0.999f;

    /// <summary>Adam's ε (outside the square root, as Keras).</summary>
    public float Epsilon { get; init; } = 1e-7f;

    /// <summary>SGD's momentum (0: plain SGD).</summary>
    public float Momentum { get; init; }

    /// <summary>Nesterov momentum for SGD.</summary>
    public bool Nesterov { get; init; }

    /// <summary>Keras clipnorm: each gradient rescaled to at most this L2 norm (null: off).</summary>
    public float? ClipNorm { get; init; }

    /// <summary>Keras global_clipnorm: all gradients together rescaled to at most this L2 norm (null: off).</summary>
    public float? GlobalClipNorm { get; init; }

    /// <summary>Reference or SIMD kernels.</summary>
    public KernelVariant Variant { get; init; } = KernelVariant.Simd;

    /// <summary>GEMM workers of a step; 1 (the default) keeps a step on the calling thread and allocation-free.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Check every tensor's xxHash64 when the blob is opened.</summary>
    public bool VerifyTensorHashes { get; init; } = true;

    /// <summary>The optimizer as the provenance metadata writes it.</summary>
    public string OptimizerText => Optimizer == TrainingOptimizer.Adam
        ? FormattableString.Invariant($"adam lr={LearningRate}")
        : FormattableString.Invariant($"sgd lr={LearningRate} momentum={Momentum}{(Nesterov ? " nesterov" : "")}");

    internal void Check()
    {
        static void Require(bool ok, string field, string problem)
        {
            if (!ok)
            {
                throw new ArgumentException($"TrainingOptions.{field}: {problem}");
            }
        }

        Require(MaxBatch >= 1, nameof(MaxBatch), $"{MaxBatch}; it must be at least 1");
        Require(float.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), $"{LearningRate}; it must be a positive number");
        Require(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, nameof(Beta1), $"β1 {Beta1}, β2 {Beta2}; each must be in [0, 1)");
        Require(float.IsFinite(Epsilon) && Epsilon > 0, nameof(Epsilon), $"{Epsilon}; it must be > 0");
        Require(Momentum is >= 0 and < 1, nameof(Momentum), $"{Momentum}; it must be in [0, 1)");
        Require(HuberDelta > 0, nameof(HuberDelta), $"{HuberDelta}; it must be > 0");
        Require(ClipNorm is null or > 0 && GlobalClipNorm is null or > 0, nameof(ClipNorm), "a clip norm must be > 0 (or unset)");
        Require(Threads >= 1, nameof(Threads), $"{Threads}; it must be at least 1");
    }
}
