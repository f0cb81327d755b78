using EdgeNet.Trainer.Keras.Losses;
using EdgeNet.Trainer.Keras.Metrics;
using EdgeNet.Trainer.Keras.Optimizers;

namespace EdgeNet.Trainer.Keras.Models;

public partial class Model
{
    /// <summary>The optimizer given to Compile (null before).</summary>
    public Optimizer? Optimizer { get; private set; }

    /// <summary>The loss given to Compile (null before).</summary>
    public Loss? Loss { get; private set; }

    /// <summary>The metrics given to Compile.</summary>
    public IReadOnlyList<Metric> Metrics { get; private set; } = [];

    /// <summary>Configures training (model.compile).</summary>
    public void Compile(Optimizer optimizer, Loss loss, params Metric[] metrics)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        Loss = loss ?? throw new ArgumentNullException(nameof(loss));
        Metrics = metrics ?? [];
    }

    /// <summary>Compile with Keras names: loss "sparse_categorical_crossentropy", metrics "accuracy".</summary>
    public void Compile(Optimizer optimizer, string loss, params string[] metrics) =>
        Compile(optimizer, Loss.Get(loss), metrics.Select(Metric.Get).ToArray());

    private void EnsureCompiled()
    {
        if (Optimizer is null || Loss is null)
        {
            throw new InvalidOperationException($"model '{Name}' must be compiled before training or evaluation: call Compile(optimizer, loss, metrics)");
        }
    }
}
