using System.Globalization;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Callbacks;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Models;

public partial class Model
{
    /// <summary>
    /// One optimization step on a batch (model.train_on_batch): forward under a tape, loss,
    /// gradients, optimizer update, metric update. Returns the batch loss. All tensors of the step
    /// are released when it returns.
    /// </summary>
    public float TrainOnBatch(Tensor x, Tensor y)
    {
        EnsureCompiled();
        using var scope = TensorScope.Begin();
        using var tape = new GradientTape();
        var yPred = Apply(x, training: true);
        var loss = Loss!.Apply(y, yPred);
        var vars = TrainableVariables;
        var grads = tape.Gradient(loss, vars);
        Optimizer!.ApplyGradients(grads, vars);
        foreach (var m in Metrics)
        {
            m.UpdateState(y, yPred);
        }

        float value = loss.Item();
        if (!float.IsFinite(value))
        {
            throw new Optimizers.NonFiniteGradientException($"the loss of model '{Name}' became {value} at step {Optimizer.Iterations}; lower the learning rate or check the data for NaN");
        }

        return value;
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over (x, y) in batches (model.fit), evaluating
    /// on <paramref name="validationData"/> after each epoch. verbose: 0 silent, 1 progress bar,
    /// 2 one line per epoch.
    /// </summary>
    public History Fit(NDArray x, NDArray y, int epochs = 1, int batchSize = 32, (NDArray X, NDArray Y)? validationData = null,
        bool shuffle = true, IEnumerable<Callback>? callbacks = null, int verbose = 1)
    {
        EnsureCompiled();
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"x has {x.Count} samples but y has {y.Count}");
        }

        if (batchSize < 1 || epochs < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), "batchSize must be >= 1 and epochs >= 0");
        }

        int steps = (x.Count + batchSize - 1) / batchSize;
        var cbs = callbacks?.ToList() ?? [];
        if (verbose is 1 or 2)
        {
            var progbar = new ProgbarLogger(Console.Out, bar: verbose == 1 && !Console.IsOutputRedirected);
            progbar.Plan(epochs, steps);
            cbs.Add(progbar);
        }

        foreach (var cb in cbs)
        {
            cb.Model = this;
        }

        var history = new History();
        var rng = KerasBackend.NextRandom();
        int[] order = Enumerable.Range(0, x.Count).ToArray();
        float[] xStage = new float[batchSize * x.SampleSize];
        float[] yStage = new float[batchSize * y.SampleSize];
        StopTraining = false;
        cbs.ForEach(c => c.OnTrainBegin());
        for (int epoch = 0; epoch < epochs && !StopTraining; epoch++)
        {
            cbs.ForEach(c => c.OnEpochBegin(epoch));
            if (shuffle)
            {
                rng.Shuffle(order);
            }

            var lossMean = new Metrics.Mean("loss");
            foreach (var m in Metrics)
            {
                m.ResetState();
            }

            for (int s = 0; s < steps; s++)
            {
                int start = s * batchSize, n = Math.Min(batchSize, x.Count - start);
                using var scope = TensorScope.Begin();
                var idx = order.AsSpan(start, n);
                var xb = x.Gather(idx, xStage);
                var yb = y.Gather(idx, yStage);
                lossMean.Update(TrainOnBatch(xb, yb), n);
                var logs = Logs(lossMean, null);
                cbs.ForEach(c => c.OnBatchEnd(s, logs));
            }

            Dictionary<string, double>? val = validationData is { } vd ? Evaluate(vd.X, vd.Y, batchSize, verbose: 0) : null;
            var epochLogs = Logs(lossMean, val);
            history.Add(epochLogs);
            cbs.ForEach(c => c.OnEpochEnd(epoch, epochLogs));
        }

        cbs.ForEach(c => c.OnTrainEnd());
        return history;
    }

    private Dictionary<string, double> Logs(Metrics.Mean loss, Dictionary<string, double>? val)
    {
        var logs = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = loss.Result() };
        foreach (var m in Metrics)
        {
            logs[m.Name] = m.Result();
        }

        if (val is not null)
        {
            foreach (var (k, v) in val)
            {
                logs["val_" + k] = v;
            }
        }

        return logs;
    }
}
