using EdgeNet.Formats.Contract;

namespace EdgeNet.Runtime.Input.Camera;

/// <summary>
/// The digit model on 28×28 digits from the preprocessor (values 0..1, light on dark): normalised as the
/// blob's <c>input.normalization</c> says, one Invoke at batch 1, the probabilities (softmax applied when the
/// model ends in logits), the top 3. Allocates nothing per digit.
/// </summary>
public sealed class DigitClassifier : IDisposable
{
    private readonly Interpreter _model;
    private readonly float _scale;
    private readonly float _offset;
    private readonly float[] _probabilities;

    public DigitClassifier(string blob, InterpreterOptions? options = null)
    {
        _model = Interpreter.Load(blob, (options ?? new InterpreterOptions()) with { MaxBatch = 1 });
        if (_model.InputSampleSize != DigitPreprocessor.Side * DigitPreprocessor.Side)
        {
            _model.Dispose();
            throw new RuntimeModelException($"{blob}: the camera pipeline feeds 28x28 digits (784 values); this model takes {_model.InputSampleSize}");
        }

        (_scale, _offset) = ModelInfo.Normalization(_model.Blob);
        _probabilities = new float[_model.OutputSampleSize];
        ClassNames = ModelInfo.ClassNames(_model.Blob, _model.OutputSampleSize);
        Description = $"{blob} ({_model.Blob.GetMetadata(MetadataKeys.QuantizationScheme)?.AsString() ?? "f32"}, {_model.Options.Variant.ToString().ToLowerInvariant()} kernels)";
    }

    public IReadOnlyList<string> ClassNames { get; }

    public string Description { get; }

    /// <summary>The class probabilities of the last <see cref="Classify"/>.</summary>
    public ReadOnlySpan<float> Probabilities => _probabilities;

    /// <summary>The most probable class of <paramref name="digit"/> [784, values 0..1].</summary>
    public int Classify(ReadOnlySpan<float> digit)
    {
        ModelInfo.Normalize(digit, _model.Input(1), _scale, _offset);
        _model.Invoke(1);
        var y = _model.Output(1);
        float sum = 0, min = float.MaxValue;
        foreach (float v in y)
        {
            sum += v;
            min = Math.Min(min, v);
        }

        if (min >= 0 && Math.Abs(sum - 1) < 1e-3f)
        {
            y.CopyTo(_probabilities);
        }
        else
        {
            System.Numerics.Tensors.TensorPrimitives.SoftMax(y, _probabilities);
        }

        return System.Numerics.Tensors.TensorPrimitives.IndexOfMax(_probabilities);
    }

    /// <summary>The <paramref name="k"/> most probable classes of the last digit, best first.</summary>
    public (int Class, float P)[] Top(int k)
    {
        var order = new (int, float)[_probabilities.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = (i, _probabilities[i]);
        }

        Array.Sort(order, (a, b) => b.Item2.CompareTo(a.Item2));
        return order[..Math.Min(k, order.Length)];
    }

    public void Dispose() => _model.Dispose();
}

/// <summary>The live display's stability filter: a digit is shown once it was read in <c>k</c> of the last <c>n</c> frames.</summary>
public sealed class StabilityFilter(int k, int n)
{
    private readonly int[] _recent = Enumerable.Repeat(-1, Math.Max(1, n)).ToArray();
    private int _next;

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
