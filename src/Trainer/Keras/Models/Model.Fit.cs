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
        bool shuffle = true, IEnumerable<Callback>? callbacks = null, int verbose = 1) =>
        Fit(new ArrayBatches(x, y), epochs, batchSize, validationData is { } v ? new ArrayBatches(v.X, v.Y) : null, shuffle, callbacks, verbose);

    /// <summary>
    /// <see cref="Fit(NDArray, NDArray, int, int, ValueTuple{NDArray, NDArray}?, bool, IEnumerable{Callback}?, int)"/> over batches made on
    /// demand (images resized and normalized per batch, as a tf.data pipeline feeds Keras' fit).
    /// <paramref name="stepsPerEpoch"/> ends each epoch early (Keras' steps_per_epoch).
    /// </summary>
    public History Fit(IBatchSource data, int epochs = 1, int batchSize = 32, IBatchSource? validationData = null,
        bool shuffle = true, IEnumerable<Callback>? callbacks = null, int verbose = 1, int? stepsPerEpoch = null)
    {
        EnsureCompiled();
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 1 || epochs < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), "batchSize must be >= 1 and epochs >= 0");
        }

        int steps = (data.Count + batchSize - 1) / batchSize;
        if (stepsPerEpoch is int spe)
        {
            steps = Math.Clamp(spe, 1, steps);
        }

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
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        int xSize = data.SampleShape.Size, ySize = data.TargetShape.Size;
        float[] xStage = new float[batchSize * xSize];
        float[] yStage = new float[batchSize * ySize];
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
                int start = s * batchSize, n = Math.Min(batchSize, data.Count - start);
                using var scope = TensorScope.Begin();
                data.Fill(order.AsSpan(start, n), xStage, yStage);
                var xb = Tensor.FromArray(xStage.AsSpan(0, n * xSize), new Shape([n, .. data.SampleShape.Dims]));
                var yb = Tensor.FromArray(yStage.AsSpan(0, n * ySize), new Shape([n, .. data.TargetShape.Dims]));
                lossMean.Update(TrainOnBatch(xb, yb), n);
                var logs = Logs(lossMean, null);
                cbs.ForEach(c => c.OnBatchEnd(s, logs));
            }

            // The training metrics are read before Evaluate resets them for the validation data.
            var epochLogs = Logs(lossMean, null);
            if (validationData is { } vd)
            {
                foreach (var (k, v) in Evaluate(vd, batchSize, verbose: 0))
                {
                    epochLogs["val_" + k] = v;
                }
            }

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
