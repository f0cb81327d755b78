using EdgeNet.Trainer.Keras.Models;

namespace EdgeNet.Trainer.Keras.Callbacks;

/// <summary>Hooks into Fit (tf.keras.callbacks.Callback). Logs hold "loss", metric names and "val_*".</summary>
public abstract class Callback
{
    /// <summary>The model being trained (set by Fit).</summary>
    public Model? Model { get; internal set; }

    /// <summary>Called once before the first epoch.</summary>
    public virtual void OnTrainBegin() { }

    /// <summary>Called before epoch <paramref name="epoch"/> (0-based).</summary>
    public virtual void OnEpochBegin(int epoch) { }

    /// <summary>Called after each batch with the running loss and metrics.</summary>
    public virtual void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Called after each epoch with its loss and metrics (and <c>val_*</c> with validation data).</summary>
    public virtual void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Called once after the last epoch.</summary>
    public virtual void OnTrainEnd() { }

    /// <summary>The value of <paramref name="monitor"/> in <paramref name="logs"/>; warns once on standard error when it is not there.</summary>
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

    /// <summary>Where to save; <c>{epoch}</c> is replaced by the epoch number (01, 02, ...).</summary>
    public string Filepath { get; } = filepath;

    /// <summary>The quantity watched with saveBestOnly (a name containing <c>acc</c> is maximised, anything else minimised).</summary>
    public string Monitor { get; } = monitor;

    /// <summary>How many times the model was saved.</summary>
    public int Saves { get; private set; }

    /// <inheritdoc/>
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

    /// <summary>The quantity watched.</summary>
    public string Monitor { get; } = monitor;

    /// <summary>The epoch (0-based) training stopped at, or -1.</summary>
    public int StoppedEpoch { get; private set; } = -1;

    /// <inheritdoc/>
    public override void OnTrainBegin() => (_best, _wait, _bestWeights, StoppedEpoch) = (double.NaN, 0, null, -1);

    /// <inheritdoc/>
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
