using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Metrics;

/// <summary>A streaming metric (tf.keras.metrics.Metric): UpdateState per batch, Result, ResetState.</summary>
public abstract class Metric
{
    protected Metric(string name) => Name = name;

    public string Name { get; }

    public abstract void UpdateState(Tensor yTrue, Tensor yPred);

    public abstract double Result();

    public abstract void ResetState();

    public static Metric Get(string name) => name.ToLowerInvariant() switch
    {
        "accuracy" or "sparse_categorical_accuracy" or "acc" => new SparseCategoricalAccuracy(),
        "categorical_accuracy" => new CategoricalAccuracy(),
        _ => throw new ArgumentException($"unknown metric '{name}'; use sparse_categorical_accuracy or categorical_accuracy, or pass a Metric subclass"),
    };

    public override string ToString() => $"{Name}: {Result():F4}";
}

/// <summary>Fraction of samples whose arg-max prediction equals the integer label.</summary>
public sealed class SparseCategoricalAccuracy(string name = "sparse_categorical_accuracy") : Metric(name)
{
    private long _total;
    private long _count;

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

    public override double Result() => _total == 0 ? 0 : (double)_count / _total;

    public override void ResetState() => (_total, _count) = (0, 0);
}

/// <summary>Fraction of samples whose arg-max prediction equals the arg-max of a one-hot target.</summary>
public sealed class CategoricalAccuracy(string name = "categorical_accuracy") : Metric(name)
{
    private long _total;
    private long _count;

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

    public override double Result() => _total == 0 ? 0 : (double)_count / _total;

    public override void ResetState() => (_total, _count) = (0, 0);
}

/// <summary>Running mean of scalar values (used for the loss in Fit).</summary>
public sealed class Mean(string name) : Metric(name)
{
    private double _sum;
    private long _n;

    public void Update(double value, int weight = 1)
    {
        _sum += value * weight;
        _n += weight;
    }

    public override void UpdateState(Tensor yTrue, Tensor yPred) => Update(yPred.ToArray().Average());

    public override double Result() => _n == 0 ? 0 : _sum / _n;

    public override void ResetState() => (_sum, _n) = (0, 0);
}
