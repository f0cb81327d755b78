using EdgeNet.Formats.Contract;

namespace EdgeNet.Runtime.Input;

/// <summary>
/// An image model (.enb) as a classifier: images in, the class, its probability and the top k out. An image file is
/// brought to the model's input as the blob's metadata says (<see cref="Formats.Data.ImagePipeline"/>: a digit model's
/// grey area resize, or MobileNetV2's centred crop, bilinear resize and RGB or grey-as-RGB channels), then normalised
/// by its <c>input.normalization</c>; the probabilities are the model's output (softmax applied when the model ends in
/// logits), the class names come from its <c>general.class_names</c>. One Invoke at batch 1 per image;
/// <see cref="Classify(ReadOnlySpan{float})"/> allocates nothing.
/// </summary>
/// <example>
/// <code>
/// using var model = new ImageClassifier("digits-int8.enb");
/// var top = model.ClassifyFile("digit.png");            // PNG, JPEG, BMP, PGM: grey, resized to the model's input
/// Console.WriteLine($"{top[0].Name} ({top[0].Probability:P1})");
/// </code>
/// </example>
public class ImageClassifier : IDisposable
{
    private readonly Interpreter _model;
    private readonly float[] _scales;
    private readonly float[] _offsets;
    private readonly float[] _probabilities;
    private readonly Formats.Data.ImagePipeline? _pipeline;
    private Formats.Data.ImagePipeline? _unit;   // the pipeline to 0..1, as Classify takes pixels
    private float[]? _input;                     // [model input]
    private float[]? _scratch;                   // the pipeline's, for the last image size

    /// <summary>Loads <paramref name="blob"/> for batch-1 classification.</summary>
    /// <exception cref="Formats.Enb.EnbFormatException">The file is not a valid blob (the message names the field).</exception>
    /// <exception cref="RuntimeModelException">The blob's graph cannot run here, or it does not take grey images [height, width, 1].</exception>
    public ImageClassifier(string blob, InterpreterOptions? options = null)
    {
        _model = Interpreter.Load(blob, (options ?? new InterpreterOptions()) with { MaxBatch = 1 });
        int[] shape = ModelInfo.InputShape(_model.Blob);
        if (shape is not [_, _, 1 or 3])
        {
            _model.Dispose();
            throw new RuntimeModelException($"{blob}: takes [{string.Join(", ", shape)}], not an image [height, width, 1 or 3]: a vector model such as a Q-network takes observations, a text model tokens (edgenet: use --obs v1,v2,... for a vector model, 'generate' for a text model)");
        }

        (Height, Width, Channels) = (shape[0], shape[1], shape[2]);
        try
        {
            _pipeline = ModelInfo.HasPipeline(_model.Blob) ? ModelInfo.Pipeline(_model.Blob) : null;
        }
        catch (Formats.Data.DatasetException)
        {
            _model.Dispose();
            throw;
        }

        if (_pipeline is null && Channels != 1)
        {
            _model.Dispose();
            throw new RuntimeModelException($"{blob}: takes [{string.Join(", ", shape)}] but its metadata does not say how images become its input ('{MetadataKeys.InputResize.Name}', '{MetadataKeys.InputColor.Name}'); export it again with 'edgenet-train export'");
        }

        (_scales, _offsets) = ModelInfo.Normalization(_model.Blob, Channels);
        _probabilities = new float[_model.OutputSampleSize];
        ClassNames = ModelInfo.ClassNames(_model.Blob, _model.OutputSampleSize);
        Description = $"{blob} ({_model.Blob.GetMetadata(MetadataKeys.QuantizationScheme)?.AsString() ?? "f32"}, {_model.Options.Variant.ToString().ToLowerInvariant()} kernels)";
    }

    /// <summary>The image height the model takes (its <c>general.input_shape</c>).</summary>
    public int Height { get; }

    /// <summary>The image width the model takes.</summary>
    public int Width { get; }

    /// <summary>The channels the model takes (1 grey, 3 RGB).</summary>
    public int Channels { get; }

    /// <summary>How many values one image is (height × width × channels).</summary>
    public int InputSize => _model.InputSampleSize;

    /// <summary>The name of each class, in output order (the indices when the blob names none).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The blob, its quantization scheme and the kernels it runs on, for a status line.</summary>
    public string Description { get; }

    /// <summary>The interpreter underneath (its blob, arena and options; <c>Model.Output(1)</c>: the last image's raw outputs).</summary>
    public Interpreter Model => _model;

    /// <summary>The class probabilities of the last classification.</summary>
    public ReadOnlySpan<float> Probabilities => _probabilities;

    /// <summary>The most probable class of <paramref name="pixels"/> [<see cref="InputSize"/>, values 0..1 as the datasets hold them].</summary>
    /// <exception cref="ArgumentException"><paramref name="pixels"/> is not one image of the model's size.</exception>
    public int Classify(ReadOnlySpan<float> pixels)
    {
        if (pixels.Length != _model.InputSampleSize)
        {
            throw new ArgumentException($"{pixels.Length} pixel values for a model that takes {_model.InputSampleSize} ({Height}x{Width}x{Channels})", nameof(pixels));
        }

        ModelInfo.Normalize(pixels, _model.Input(1), _scales, _offsets);
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

    /// <summary>
    /// Classifies an image file (PNG, JPEG, BMP, binary PGM, raw bytes or an IDX file's first image), read as grey
    /// and resized to the model's input; <paramref name="invert"/> for dark ink on light paper (MNIST is light on dark).
    /// Returns the <paramref name="k"/> most probable classes, best first.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not an image this reader knows, or is corrupt (the message says which).</exception>
    public IReadOnlyList<ClassProbability> ClassifyFile(string path, bool invert = false, int k = 3)
    {
        Classify(ReadFile(path, invert));
        return Array.ConvertAll(Top(k), t => new ClassProbability(t.Class, ClassNames[t.Class], t.P));
    }

    /// <summary>
    /// An image file as <see cref="Classify(ReadOnlySpan{float})"/> takes it: brought to the model's input by its pipeline
    /// (grey and area-resized for a digit model; cropped, resized and converted to the model's channels otherwise), values
    /// 0..1; <paramref name="index"/> picks an image of an IDX file.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not an image this reader knows, or is corrupt (the message says which).</exception>
    public float[] ReadFile(string path, bool invert = false, int index = 0)
    {
        if (_pipeline is { Resize: Formats.Data.ResizeMode.Bilinear } p)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{path}: no such image file", path);
            }

            var (bytes, h, w, c) = Formats.Data.ImageFile.Decode(File.ReadAllBytes(path), path, rgb: p.Color == Formats.Data.ColorMode.Rgb);
            var src = new float[bytes.Length];
            for (int i = 0; i < src.Length; i++)
            {
                src[i] = invert ? 255 - bytes[i] : bytes[i];
            }

            var input = new float[p.SampleSize];
            p.WithNormalization(1f / 255f, 0f).Apply(src, h, w, c, input);
            return input;
        }

        float[] pixels = ImageInput.Read(path, Height, Width, index, invert);
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] /= 255f;
        }

        return pixels;
    }

    /// <summary>
    /// Classifies an image of any size [<paramref name="h"/>, <paramref name="w"/>, <paramref name="c"/>] (values 0..255, c 1 or
    /// 3: a camera frame through <see cref="Camera.FrameImage"/>) brought to the model's input by its pipeline (centre crop,
    /// bilinear resize, the model's channels); buffers are planned at the first image of a size. Returns the most probable class.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no image pipeline (a digit model: use the digit preprocessing).</exception>
    public int ClassifyImage(ReadOnlySpan<float> pixels, int h, int w, int c)
    {
        var p = _pipeline ?? throw new InvalidOperationException($"{Description}: the model states no image pipeline ('{MetadataKeys.InputResize.Name}'); a digit model reads frames through the digit preprocessing");
        _unit ??= p.WithNormalization(1f / 255f, 0f);
        _input ??= new float[p.SampleSize];
        if (_scratch is null || _scratch.Length < p.ScratchFloats(h, w))
        {
            _scratch = new float[p.ScratchFloats(h, w)];
        }

        _unit.Apply(pixels, h, w, c, _input, _scratch);
        return Classify(_input);
    }

    /// <summary>The <paramref name="k"/> most probable classes of the last image, best first.</summary>
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

    /// <summary>Releases the interpreter's arena and the mapped blob.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the interpreter when <paramref name="disposing"/>.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _model.Dispose();
        }
    }
}

/// <summary>One class of a classification: its index, its name and its probability.</summary>
public readonly record struct ClassProbability(int Class, string Name, float Probability);
