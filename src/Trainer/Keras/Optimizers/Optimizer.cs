using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Optimizers;

/// <summary>A gradient that is NaN or infinite; nothing was updated.</summary>
public sealed class NonFiniteGradientException : Exception
{
    /// <summary>A bad gradient described by <paramref name="message"/> (the variable and the value).</summary>
    public NonFiniteGradientException(string message) : base(message) { }

    /// <summary>A bad gradient.</summary>
    public NonFiniteGradientException() { }

    /// <summary>A bad gradient, caused by <paramref name="inner"/>.</summary>
    public NonFiniteGradientException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Base of the optimizers (tf.keras.optimizers.Optimizer). <c>ApplyGradients</c> checks every
/// gradient for NaN/∞ first and updates nothing if one is bad; slot variables (momenta) live on the
/// variables' device.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<Variable, Storage[]> _slots = new(ReferenceEqualityComparer.Instance);

    /// <summary>An optimizer named <paramref name="name"/> with step size <paramref name="learningRate"/>.</summary>
    protected Optimizer(string name, float learningRate)
    {
        Name = name;
        LearningRate = learningRate;
    }

    /// <summary>The optimizer's name, e.g. <c>adam</c>.</summary>
    public string Name { get; }

    /// <summary>The step size.</summary>
    public float LearningRate { get; set; }

    /// <summary>Number of update steps applied so far.</summary>
    public long Iterations { get; set; }

    /// <summary>Check gradients for NaN/∞ before applying (on by default; one pass over each gradient).</summary>
    public bool CheckFinite { get; set; } = true;

    /// <summary>Keras clipnorm: each gradient is rescaled to at most this L2 norm (null: off).</summary>
    public float? ClipNorm { get; set; }

    /// <summary>Keras global_clipnorm: all gradients together are rescaled to at most this L2 norm (null: off).</summary>
    public float? GlobalClipNorm { get; set; }

    private protected abstract int SlotCount { get; }

    /// <summary>Updates each variable by its gradient (null gradients are skipped), after the NaN/∞ check and clipping (tf.keras Optimizer.apply_gradients).</summary>
    /// <exception cref="NonFiniteGradientException">A gradient holds NaN or ∞; nothing was updated.</exception>
    public void ApplyGradients(IEnumerable<(Tensor? Gradient, Variable Variable)> gradsAndVars)
    {
        var pairs = gradsAndVars.ToList();
        foreach (var (g, v) in pairs)
        {
            if (g is not null && !g.Shape.Equals(v.Shape))
            {
                throw new ArgumentException($"gradient {g.Shape} does not match variable '{v.Name}' {v.Shape}");
            }
        }

        if (CheckFinite)
        {
            // Every gradient is checked before any variable changes; per backend, one read-back.
            foreach (var group in pairs.Where(p => p.Gradient is not null).GroupBy(p => p.Gradient!.Backend))
            {
                var list = group.ToList();
                int[] bad = group.Key.CountNonFinite(list.Select(p => (p.Gradient!.Storage, p.Gradient.Size)).ToList());
                int first = Array.FindIndex(bad, b => b > 0);
                if (first >= 0)
                {
                    var v = list[first].Variable;
                    throw new NonFiniteGradientException(
                        $"the gradient of '{v.Name}' {v.Shape} has {bad[first]} NaN or infinite values at step {Iterations + 1}; no variable was updated. " +
                        "Fix: lower the learning rate, check the inputs and labels for NaN or out-of-range values, or use a loss from logits");
                }
            }
        }

        Iterations++;
        var clipped = Clip(pairs);
        foreach (var (g, v) in clipped)
        {
            if (g is not null)
            {
                Update(v, g, Slots(v));
            }
        }
    }

    /// <summary>Rescaled copies of the gradients when a clip norm is set (the originals may be shared).</summary>
    private List<(Tensor? Gradient, Variable Variable)> Clip(List<(Tensor? Gradient, Variable Variable)> pairs)
    {
        if (ClipNorm is null && GlobalClipNorm is null)
        {
            return pairs;
        }

        // Σg² of every gradient, one backend call (and one read-back) per device.
        var squared = new Dictionary<Tensor, double>(TensorIdentity.Instance);
        foreach (var group in pairs.Where(p => p.Gradient is not null).GroupBy(p => p.Gradient!.Backend))
        {
            var list = group.Select(p => p.Gradient!).ToList();
            double[] sums = group.Key.SquaredNorms(list.Select(g => (g.Storage, g.Size)).ToList());
            for (int i = 0; i < list.Count; i++)
            {
                squared[list[i]] = sums[i];
            }
        }

        var result = new List<(Tensor?, Variable)>(pairs.Count);
        double global = GlobalClipNorm is null ? 0 : Math.Sqrt(pairs.Where(p => p.Gradient is not null).Sum(p => squared[p.Gradient!]));
        foreach (var (g, v) in pairs)
        {
            if (g is null)
            {
                result.Add((g, v));
                continue;
            }

            double scale = 1;
            if (GlobalClipNorm is { } gc && global > gc)
            {
                scale = gc / global;
            }

            if (ClipNorm is { } c && Math.Sqrt(squared[g]) * scale > c)
            {
                scale = c / Math.Sqrt(squared[g]);
            }

            result.Add((scale == 1 ? g : GradientTape.NoRecord(() => Ops.Affine(g, (float)scale, 0f)), v));
        }

        return result;
    }

    /// <summary>Updates <paramref name="variables"/> by <paramref name="grads"/>, paired by position.</summary>
    /// <exception cref="NonFiniteGradientException">A gradient holds NaN or ∞; nothing was updated.</exception>
    public void ApplyGradients(IReadOnlyList<Tensor?> grads, IReadOnlyList<Variable> variables)
    {
        if (grads.Count != variables.Count)
        {
            throw new ArgumentException($"{grads.Count} gradients for {variables.Count} variables");
        }

        ApplyGradients(grads.Zip(variables, (g, v) => (g, v)));
    }

    /// <summary>The optimizer state of one variable (for checkpoints): slot buffers in order.</summary>
    internal Storage[] Slots(Variable v)
    {
        if (!_slots.TryGetValue(v, out var s))
        {
            s = new Storage[SlotCount];
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = v.Backend.Allocate(v.Shape.Size, zero: true);
            }

            _slots[v] = s;
        }

        return s;
    }

    internal bool HasSlots(Variable v) => _slots.ContainsKey(v);

    private protected abstract void Update(Variable v, Tensor grad, Storage[] slots);
}

/// <summary>Adam (Kingma and Ba) with Keras defaults β1 0.9, β2 0.999, ε 1e-7.</summary>
public sealed class Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
    : Optimizer("adam", learningRate)
{
    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; } = beta1;

    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; } = beta2;

    /// <summary>Added to the root of the second moment.</summary>
    public float Epsilon { get; } = epsilon;

    private protected override int SlotCount => 2;

    private protected override void Update(Variable v, Tensor grad, Storage[] slots)
    {
        double t = Iterations;
        float lrT = (float)(LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)));
        v.Backend.AdamUpdate(v.Value.Storage, grad.Storage, slots[0], slots[1], v.Shape.Size, lrT, Beta1, Beta2, Epsilon);
    }
}

/// <summary>Stochastic gradient descent with optional (Nesterov) momentum, as Keras.</summary>
public sealed class SGD(float learningRate = 0.01f, float momentum = 0f, bool nesterov = false)
    : Optimizer("sgd", learningRate)
{
    /// <summary>Momentum (0: plain SGD).</summary>
    public float Momentum { get; } = momentum;

    /// <summary>Whether the momentum is Nesterov's.</summary>
    public bool Nesterov { get; } = nesterov;

    private protected override int SlotCount => Momentum == 0 ? 0 : 1;

    private protected override void Update(Variable v, Tensor grad, Storage[] slots) =>
        v.Backend.SgdUpdate(v.Value.Storage, grad.Storage, slots.Length > 0 ? slots[0] : null, v.Shape.Size, LearningRate, Momentum, Nesterov);
}
