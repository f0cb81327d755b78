using EdgeNet.Rig.Replay;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Rl;

/// <summary>
/// The DQN learner (Mnih et al. 2015) written with the Keras-style API as the chapter writes it:
/// an online Sequential Q-network, a target copy refreshed by <see cref="UpdateTarget"/>, and a
/// GradientTape update minimizing the Huber loss between Q(s, a) and the TD target
/// <c>y = r + γ·(1 − terminated)·Q_target(s', a*)</c>, where a* = argmax Q_target(s', ·), or with
/// Double DQN argmax Q_online(s', ·). Adam with a global gradient-norm clip.
/// </summary>
public sealed class DqnAgent
{
    private readonly float[] _actionsF;     // [batch] actions as float class indices
    private readonly float[] _single;       // [1, obs] one observation for Act
    private readonly ReplayBatch _batch;    // [batch] one sampled batch
    private float[] _targets;               // [rows] TD targets y
    private float[] _qNext;                 // [rows, actions] Q_target(s', ·)
    private float[] _qNextOnline;           // [rows, actions] Q_online(s', ·) (Double DQN)
    private ReplayBatch? _round;            // [steps · batch] the batches of one training round
    private float[] _batchQ = [];           // [count, actions] Q-values of ActBatch

    /// <summary>The online and target networks for <paramref name="observationSize"/> observations and <paramref name="actionCount"/> actions, built from <paramref name="options"/>; <paramref name="seed"/> seeds the weights.</summary>
    public DqnAgent(int observationSize, int actionCount, DqnOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        ObservationSize = observationSize;
        ActionCount = actionCount;
        var rng = new Random(seed);
        Online = QNetwork.Create(observationSize, actionCount, options.Hidden, rng);
        Target = QNetwork.Create(observationSize, actionCount, options.Hidden, rng);
        UpdateTarget();
        Optimizer = new Adam(options.LearningRate) { GlobalClipNorm = options.MaxGradNorm };
        _targets = new float[options.BatchSize];
        _actionsF = new float[options.BatchSize];
        _qNext = new float[options.BatchSize * actionCount];
        _qNextOnline = new float[options.BatchSize * actionCount];
        _single = new float[observationSize];
        _batch = new ReplayBatch(options.BatchSize, observationSize);
    }

    /// <summary>The hyperparameters.</summary>
    public DqnOptions Options { get; }

    /// <summary>Values per observation.</summary>
    public int ObservationSize { get; }

    /// <summary>Number of actions (the network's outputs).</summary>
    public int ActionCount { get; }

    /// <summary>The network that acts and learns.</summary>
    public Sequential Online { get; }

    /// <summary>The slowly refreshed copy that values next states.</summary>
    public Sequential Target { get; }

    /// <summary>The online network's optimizer (Adam).</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Gradient steps taken.</summary>
    public long GradientSteps { get; private set; }

    /// <summary>Hard update: target ← online.</summary>
    public void UpdateTarget()
    {
        var src = Online.Variables;
        var dst = Target.Variables;
        for (int i = 0; i < src.Count; i++)
        {
            dst[i].Assign(src[i].Value);
        }
    }

    /// <summary>Q-values [count, actions] of the online network for observations [count, obs] (no tape).</summary>
    public void QValues(ReadOnlySpan<float> observations, int count, Span<float> q) => Evaluate(Online, observations, count, q);

    /// <summary>The greedy action for one observation.</summary>
    public int Act(ReadOnlySpan<float> observation)
    {
        Span<float> q = stackalloc float[ActionCount];
        observation.CopyTo(_single);
        Evaluate(Online, _single, 1, q);
        return Rig.Environments.Rollout.ArgMax(q);
    }

    /// <summary>Greedy actions for a batch of observations (the policy for evaluation rollouts).</summary>
    public void ActBatch(ReadOnlySpan<float> observations, int count, Span<int> actions)
    {
        if (_batchQ.Length < count * ActionCount)
        {
            _batchQ = new float[count * ActionCount];
        }

        var q = _batchQ.AsSpan(0, count * ActionCount);   // [count, actions], reused tick after tick
        Evaluate(Online, observations, count, q);
        for (int i = 0; i < count; i++)
        {
            actions[i] = Rig.Environments.Rollout.ArgMax(q.Slice(i * ActionCount, ActionCount));
        }
    }

    /// <summary>
    /// The TD targets of a batch into <see cref="ReplayBatch"/>-sized <paramref name="y"/>: terminal
    /// transitions do not bootstrap; truncated ones were stored as not terminal and do.
    /// </summary>
    public void TdTargets(ReplayBatch batch, Span<float> y)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int n = batch.Size, a = ActionCount;
        if (_qNext.Length < n * a)
        {
            _qNext = new float[n * a];
            _qNextOnline = new float[n * a];
        }

        var qNext = _qNext.AsSpan(0, n * a);
        Evaluate(Target, batch.NextObservations, n, qNext);                 // [n, actions]
        if (Options.DoubleDqn)
        {
            var qOnline = _qNextOnline.AsSpan(0, n * a);
            Evaluate(Online, batch.NextObservations, n, qOnline);            // [n, actions]
            for (int i = 0; i < n; i++)
            {
                int best = Rig.Environments.Rollout.ArgMax(qOnline.Slice(i * a, a));
                y[i] = batch.Rewards[i] + (Options.Gamma * (1 - batch.Terminated[i]) * qNext[(i * a) + best]);
            }

            return;
        }

        for (int i = 0; i < n; i++)
        {
            float max = qNext[i * a];
            for (int k = 1; k < a; k++)
            {
                max = Math.Max(max, qNext[(i * a) + k]);
            }

            y[i] = batch.Rewards[i] + (Options.Gamma * (1 - batch.Terminated[i]) * max);
        }
    }

    /// <summary>One gradient step on a sampled batch; returns the Huber loss before the update.</summary>
    public float TrainStep(ReplayBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        CheckBatch(batch.Size, batch.ObservationSize);
        TdTargets(batch, Targets(batch.Size));
        return Step(batch, 0, batch.Size);
    }

    /// <summary>
    /// A training round: <paramref name="steps"/> gradient steps, each on a batch drawn uniformly from
    /// <paramref name="buffer"/>. The target network and the buffer do not change within a round, so
    /// (except with Double DQN, whose argmax needs the current online weights) all batches are drawn
    /// first — the same draws in the same order — and their TD targets come from one large forward
    /// pass instead of one small pass per step. Returns the last step's loss.
    /// </summary>
    public float TrainRound(ReplayBuffer buffer, Random rng, int steps)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        int b = Options.BatchSize;
        float loss = float.NaN;
        if (Options.DoubleDqn || steps <= 1)
        {
            for (int s = 0; s < steps; s++)
            {
                buffer.Sample(rng, _batch);
                loss = TrainStep(_batch);
            }

            return loss;
        }

        if (_round is null || _round.Size != steps * b)
        {
            _round = new ReplayBatch(steps * b, ObservationSize);
        }

        for (int s = 0; s < steps; s++)
        {
            buffer.Sample(rng, _round, s * b, b);
        }

        TdTargets(_round, Targets(_round.Size));
        for (int s = 0; s < steps; s++)
        {
            loss = Step(_round, s * b, b);
        }

        return loss;
    }

    /// <summary>The Huber loss of a batch and its gradients per online variable (no update), as host arrays.</summary>
    public (float Loss, float[][] Gradients) Gradients(ReplayBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        CheckBatch(batch.Size, batch.ObservationSize);
        TdTargets(batch, Targets(batch.Size));
        using var scope = TensorScope.Begin();
        var (loss, grads, vars) = LossAndGradients(batch, 0, batch.Size);
        return (loss.Item(), grads.Select((g, i) => g?.ToArray() ?? new float[vars[i].Shape.Size]).ToArray());
    }

    private void CheckBatch(int size, int observationSize)
    {
        if (size > Options.BatchSize || observationSize != ObservationSize)
        {
            throw new ArgumentException($"batch of {size}x{observationSize}; the agent was made for at most {Options.BatchSize}x{ObservationSize}");
        }
    }

    private Span<float> Targets(int rows)
    {
        if (_targets.Length < rows)
        {
            _targets = new float[rows];
        }

        return _targets.AsSpan(0, rows);
    }

    /// <summary>One update on rows [offset, offset + n) of <paramref name="batch"/>, whose TD targets are in _targets.</summary>
    private float Step(ReplayBatch batch, int offset, int n)
    {
        using var scope = TensorScope.Begin();
        var (loss, grads, vars) = LossAndGradients(batch, offset, n);
        Optimizer.ApplyGradients(grads, vars);
        GradientSteps++;
        float value = loss.Item();
        if (!float.IsFinite(value))
        {
            throw new NonFiniteGradientException($"the DQN loss became {value} at gradient step {GradientSteps}; lower the learning rate or check the rewards and observations for NaN");
        }

        return value;
    }

    /// <summary>Q(s, a) and the Huber loss against the TD targets under a tape, and d loss / d weights. Call inside a TensorScope.</summary>
    private (Tensor Loss, Tensor?[] Grads, IReadOnlyList<Autograd.Variable> Vars) LossAndGradients(ReplayBatch batch, int offset, int n)
    {
        for (int i = 0; i < n; i++)
        {
            _actionsF[i] = batch.Actions[offset + i];
        }

        int d = ObservationSize;
        var s = Tensor.FromArray(batch.Observations.AsSpan(offset * d, n * d), new Shape(n, d));   // [n, obs]
        var y = Tensor.FromArray(_targets.AsSpan(offset, n), new Shape(n));                        // [n]
        var a = Tensor.FromArray(_actionsF.AsSpan(0, n), new Shape(n));                            // [n]
        var vars = Online.TrainableVariables;
        using var tape = new GradientTape();
        var q = Online.Apply(s, training: true);                                   // [n, actions]
        var qTaken = Ops.ReduceSum(Ops.Mul(q, Ops.OneHot(a, ActionCount)), -1);    // [n] Q(s, a)
        var loss = Ops.Huber(y, qTaken, Options.HuberDelta);                       // [] mean over the batch
        return (loss, tape.Gradient(loss, vars), vars);
    }

    /// <summary>Copies of the online weights (a snapshot to restore the best policy later).</summary>
    public float[][] Snapshot() => Online.Variables.Select(v => v.Numpy()).ToArray();

    /// <summary>Restores weights taken by <see cref="Snapshot"/> into the online and target networks.</summary>
    public void Restore(float[][] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var vars = Online.Variables;
        for (int i = 0; i < vars.Count; i++)
        {
            vars[i].Assign(weights[i]);
        }

        UpdateTarget();
    }

    private void Evaluate(Model model, ReadOnlySpan<float> observations, int count, Span<float> q)
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(observations[..(count * ObservationSize)], new Shape(count, ObservationSize));   // [count, obs]
        var y = GradientTape.NoRecord(() => model.Apply(x));
        y.Backend.Download(y.Storage, q[..y.Size]);
    }
}
