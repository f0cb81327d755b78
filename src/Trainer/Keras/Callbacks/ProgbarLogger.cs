using System.Globalization;

namespace EdgeNet.Trainer.Keras.Callbacks;

/// <summary>
/// Fit's console output (Keras' ProgbarLogger), plain text to a <see cref="TextWriter"/>: with
/// <c>bar</c> a one-line progress bar rewritten in place ("\r") and the epoch's logs when it ends;
/// without, one line per epoch. Fit adds one for verbose 1 (bar when the console is interactive)
/// and 2; richer displays are callbacks of the command-line layer.
/// </summary>
public sealed class ProgbarLogger(TextWriter output, bool bar) : Callback
{
    private const int Width = 30;
    private int _epoch;
    private int _epochs;
    private int _steps;

    /// <summary>Set by Fit before training: epochs and steps per epoch.</summary>
    internal void Plan(int epochs, int steps)
    {
        _epochs = epochs;
        _steps = steps;
    }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch) => _epoch = epoch;

    /// <inheritdoc/>
    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (!bar || (batch % 10 != 0 && batch != _steps - 1))
        {
            return;
        }

        int done = _steps == 0 ? Width : (batch + 1) * Width / _steps;
        output.Write($"\repoch {_epoch + 1}/{_epochs} [{new string('=', done)}{new string('.', Width - done)}] {batch + 1}/{_steps}  {Format(logs)}");
        output.Flush();
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (bar)
        {
            output.Write('\r');
        }

        output.WriteLine($"epoch {epoch + 1}/{_epochs}: {Format(logs)}");
    }

    internal static string Format(IReadOnlyDictionary<string, double> logs) =>
        string.Join("  ", logs.Select(kv => $"{kv.Key} {kv.Value.ToString("F4", CultureInfo.InvariantCulture)}"));
}
