using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Metrics;

/// <summary>
/// A streaming metric (tf.keras.metrics.Metric): UpdateState per batch, Result, ResetState. As in Keras,
/// a metric may keep its state in weights made with <see cref="AddWeight"/> (non-trainable variables,
/// updated with <c>Variable.AssignAdd</c>); the default <see cref="ResetState"/> sets each back
/// to its initial value.
/// </summary>
public abstract class Metric
{
    private readonly List<(Variable Weight, float Initial)> _weights = [];

    /// <summary>A metric named <paramref name="name"/> (the key Fit and Evaluate log it under).</summary>
    protected Metric(string name) => Name = name;

    /// <summary>The metric's name.</summary>
    public string Name { get; }

    /// <summary>The state weights made with <see cref="AddWeight"/>, in order.</summary>
    public IReadOnlyList<Variable> Variables => _weights.Select(w => w.Weight).ToList();

    /// <summary>A non-trainable state variable of <paramref name="shape"/> (a scalar by default), every value <paramref name="initial"/> (Keras add_weight).</summary>
    protected Variable AddWeight(string name, float initial = 0f, params int[] shape)
    {
        var s = new Shape(shape);
        Variable v;
        using (TensorScope.Begin())
        {
            v = new Variable($"{Name}/{name}", Tensor.Full(s, initial), trainable: false);
        }

        _weights.Add((v, initial));
        return v;
    }

    /// <summary>Accumulates one batch: targets <paramref name="yTrue"/>, predictions <paramref name="yPred"/>.</summary>
    public abstract void UpdateState(Tensor yTrue, Tensor yPred);

    /// <summary>The value over everything accumulated since the last reset.</summary>
    public abstract double Result();

    /// <summary>Starts a new accumulation: every <see cref="AddWeight"/> weight back to its initial value (override for other state).</summary>
    public virtual void ResetState()
    {
        foreach (var (w, initial) in _weights)
        {
            w.Value.Backend.Fill(w.Value.Storage, initial);
        }
    }

    /// <summary>A built-in metric by its Keras name (<c>accuracy</c>, <c>sparse_categorical_accuracy</c>, <c>categorical_accuracy</c>).</summary>
    /// <exception cref="ArgumentException">An unknown name.</exception>
    public static Metric Get(string name) => name.ToLowerInvariant() switch
    {
        "accuracy" or "sparse_categorical_accuracy" or "acc" => new SparseCategoricalAccuracy(),
        "categorical_accuracy" => new CategoricalAccuracy(),
        _ => throw new ArgumentException($"unknown metric '{name}'; use sparse_categorical_accuracy or categorical_accuracy, or pass a Metric subclass"),
    };

    /// <summary>The name and current value.</summary>
    public override string ToString() => $"{Name}: {Result():F4}";
}

/// <summary>Fraction of samples whose arg-max prediction equals the integer label.</summary>
public sealed class SparseCategoricalAccuracy(string name = "sparse_categorical_accuracy") : Metric(name)
{
    private long _total;
    private long _count;

    /// <inheritdoc/>
    public override void UpdateState(Tensor yTrue, Tensor yPred)
    {
        float[] labels = yTrue.ToArray();
        float[] p = yPred.ToArray();
        int cols = yPred.Shape.Last;
        if (labels.Length * cols != p.Length)
        {
            throw new ArgumentException($"{Name}: {labels.Length} labels for predictions {yPred.Shape}");
        }

        for (int r = 0; r < labels.Length; r++)
        {
            int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p.AsSpan(r * cols, cols));
            _count += best == (int)labels[r] ? 1 : 0;
        }

        _total += labels.Length;
    }

    /// <inheritdoc/>
    public override double Result() => _total == 0 ? 0 : (double)_count / _total;

    /// <inheritdoc/>
    public override void ResetState() => (_total, _count) = (0, 0);
}

/// <summary>Fraction of samples whose arg-max prediction equals the arg-max of a one-hot target.</summary>
public sealed class CategoricalAccuracy(string name = "categorical_accuracy") : Metric(name)
{
    private long _total;
    private long _count;

    /// <inheritdoc/>
    public override void UpdateState(Tensor yTrue, Tensor yPred)
    {
        float[] t = yTrue.ToArray();
        float[] p = yPred.ToArray();
        int cols = yPred.Shape.Last;
        for (int r = 0; r < p.Length / cols; r++)
        {
            _count += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p.AsSpan(r * cols, cols)) ==
                System.Numerics.Tensors.TensorPrimitives.IndexOfMax(t.AsSpan(r * cols, cols)) ? 1 : 0;
            _total++;
        }
    }

    /// <inheritdoc/>
    public override double Result() => _total == 0 ? 0 : (double)_count / _total;

    /// <inheritdoc/>
    public override void ResetState() => (_total, _count) = (0, 0);
}

/// <summary>Running mean of scalar values (used for the loss in Fit).</summary>
public sealed class Mean(string name) : Metric(name)
{
    private double _sum;
    private long _n;

    /// <summary>Adds <paramref name="value"/> with <paramref name="weight"/>.</summary>
    public void Update(double value, int weight = 1)
    {
        _sum += value * weight;
        _n += weight;
    }

    /// <inheritdoc/>
    public override void UpdateState(Tensor yTrue, Tensor yPred) => Update(yPred.ToArray().Average());

    /// <inheritdoc/>
    public override double Result() => _n == 0 ? 0 : _sum / _n;

    /// <inheritdoc/>
    public override void ResetState() => (_sum, _n) = (0, 0);
}
