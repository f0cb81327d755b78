using EdgeNet.Trainer.Keras.Models;

namespace EdgeNet.Trainer.Keras.Callbacks;

/// <summary>Hooks into Fit (tf.keras.callbacks.Callback). Logs hold "loss", metric names and "val_*".</summary>
public abstract class Callback
{
    public Model? Model { get; internal set; }

    public virtual void OnTrainBegin() { }

    public virtual void OnEpochBegin(int epoch) { }

    public virtual void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) { }

    public virtual void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) { }

    public virtual void OnTrainEnd() { }

    protected static bool TryMonitor(IReadOnlyDictionary<string, double> logs, string monitor, out double value)
    {
        if (logs.TryGetValue(monitor, out value))
        {
            return true;
        }

        Console.Error.WriteLine($"warning: monitored quantity '{monitor}' is not in the logs ({string.Join(", ", logs.Keys)}); pass validationData for val_* quantities");
        return false;
    }

    /// <summary>Keras "auto" mode: accuracies are maximized, everything else minimized.</summary>
    protected static bool Improves(string monitor, double value, double best, double minDelta) =>
        monitor.Contains("acc", StringComparison.Ordinal) ? value > best + minDelta : value < best - minDelta;
}

/// <summary>Saves the model (or its weights) after each epoch, or only when the monitored value improves.</summary>
public sealed class ModelCheckpoint(string filepath, string monitor = "val_loss", bool saveBestOnly = false, bool saveWeightsOnly = false) : Callback
{
    private double _best = double.NaN;

    public string Filepath { get; } = filepath;

    public string Monitor { get; } = monitor;

    public int Saves { get; private set; }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        string path = Filepath.Replace("{epoch}", (epoch + 1).ToString("D2", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (saveBestOnly)
        {
            if (!TryMonitor(logs, Monitor, out double v) || (!double.IsNaN(_best) && !Improves(Monitor, v, _best, 0)))
            {
                return;
            }

            _best = v;
        }

        if (saveWeightsOnly)
        {
            Model!.SaveWeights(path);
        }
        else
        {
            Model!.Save(path);
        }

        Saves++;
    }
}

/// <summary>Stops training when the monitored value has not improved for <c>patience</c> epochs.</summary>
public sealed class EarlyStopping(string monitor = "val_loss", int patience = 0, double minDelta = 0, bool restoreBestWeights = false) : Callback
{
    private double _best = double.NaN;
    private int _wait;
    private float[][]? _bestWeights;

    public string Monitor { get; } = monitor;

    /// <summary>The epoch (0-based) training stopped at, or -1.</summary>
    public int StoppedEpoch { get; private set; } = -1;

    public override void OnTrainBegin() => (_best, _wait, _bestWeights, StoppedEpoch) = (double.NaN, 0, null, -1);

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (!TryMonitor(logs, Monitor, out double v))
        {
            return;
        }

        if (double.IsNaN(_best) || Improves(Monitor, v, _best, minDelta))
        {
            _best = v;
            _wait = 0;
            if (restoreBestWeights)
            {
                _bestWeights = Model!.Variables.Select(x => x.Numpy()).ToArray();
            }

            return;
        }

        if (++_wait > patience)
        {
            StoppedEpoch = epoch;
            Model!.StopTraining = true;
            if (restoreBestWeights && _bestWeights is not null)
            {
                var vars = Model.Variables;
                for (int i = 0; i < vars.Count; i++)
                {
                    vars[i].Assign(_bestWeights[i]);
                }
            }
        }
    }
}
