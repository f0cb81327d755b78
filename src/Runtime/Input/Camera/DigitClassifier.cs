namespace EdgeNet.Runtime.Input.Camera;

/// <summary>
/// The digit model on 28×28 digits from the preprocessor (values 0..1, light on dark): an
/// <see cref="ImageClassifier"/> whose model must take 784 values. Allocates nothing per digit.
/// </summary>
public sealed class DigitClassifier : ImageClassifier
{
    /// <summary>Loads <paramref name="blob"/>; a model that does not take 28×28 digits is refused with its input size.</summary>
    public DigitClassifier(string blob, InterpreterOptions? options = null)
        : base(blob, options)
    {
        if (InputSize != DigitPreprocessor.Side * DigitPreprocessor.Side)
        {
            Dispose();
            throw new RuntimeModelException($"{blob}: the camera pipeline feeds 28x28 digits (784 values); this model takes {InputSize}");
        }
    }
}

/// <summary>The live display's stability filter: a digit is shown once it was read in <c>k</c> of the last <c>n</c> frames.</summary>
public sealed class StabilityFilter(int k, int n)
{
    private readonly int[] _recent = NoReadings(Math.Max(1, n));
    private int _next;

    private static int[] NoReadings(int n)
    {
        var recent = new int[n];
        Array.Fill(recent, -1);
        return recent;
    }

    /// <summary>Adds this frame's reading (-1: rejected) and returns the stable digit, or -1.</summary>
    public int Add(int digit)
    {
        _recent[_next] = digit;
        _next = (_next + 1) % _recent.Length;
        if (digit < 0)
        {
            return -1;
        }

        int count = 0;
        foreach (int d in _recent)
        {
            count += d == digit ? 1 : 0;
        }

        return count >= k ? digit : -1;
    }
}
