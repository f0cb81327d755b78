using EdgeNet.Formats.Contract;
using System.Globalization;
using EdgeNet.Formats.Data;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Data;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Export;

/// <summary>Per-layer error of a quantized model against the float one, on calibration samples.</summary>
public sealed record LayerError(string Value, double MaxRelative, double MeanRelative);

/// <summary>What an export measured: sizes, accuracies and per-layer quantization error.</summary>
public sealed record ExportReport(string Path, QuantizationScheme Scheme, long Bytes, double? FloatAccuracy, double? QuantizedAccuracy, IReadOnlyList<LayerError> Layers);

/// <summary>
/// Exports a trained model as an .enb blob the edge runtime runs: traces one forward pass into a
/// graph, calibrates int8 activation ranges on representative samples, writes weights in the
/// chosen scheme with provenance metadata, and measures the blob's accuracy with the
/// <see cref="ReferenceInterpreter"/> at export time.
/// </summary>
public static class ModelExporter
{
    /// <summary>
    /// Image classifiers: <paramref name="data"/> gives the calibration samples (its training split)
    /// and the accuracy measured at export (its test split, up to <paramref name="evalLimit"/> samples):
    /// the float model's by <paramref name="accuracy"/> (the caller's evaluation, e.g. the chapter's
    /// batched sparse categorical accuracy), the blob's by the reference interpreter.
    /// </summary>
    public static ExportReport Export(this Model model, string path, QuantizationOptions options, DatasetSplit data, Func<Model, ImageDataset, double> accuracy, int evalLimit = int.MaxValue)
    {
        var train = data.Train;
        var test = data.Test.Take(evalLimit);
        int[] sample = [train.Height, train.Width, train.Channels];
        var calib = Batches(train, Math.Min(options.CalibrationSamples, train.Count));
        double floatAcc = accuracy(model, test);
        var meta = new Dictionary<string, EnbValue>
        {
            [MetadataKeys.InputShape.Name] = EnbValue.Ints(sample),
            [MetadataKeys.InputNormalization.Name] = EnbValue.Floats(1f / 255f, 0f),
            [MetadataKeys.ClassNames.Name] = EnbValue.Strings([.. train.ClassNames]),
            [MetadataKeys.Dataset.Name] = EnbValue.String(train.Name.Split('/')[0]),
            [MetadataKeys.Accuracy.Name] = EnbValue.F32((float)floatAcc),
        };
        var report = Write(model, path, options, sample, calib, meta, blob => BlobAccuracy(blob, test));
        return report with { FloatAccuracy = floatAcc };
    }

    /// <summary>
    /// Image models fed through an <see cref="ImagePipeline"/> (MobileNetV2 on resized Fashion-MNIST or a folder of
    /// photos): calibration samples come from <paramref name="train"/> and the accuracies from <paramref name="test"/>
    /// (up to <paramref name="evalLimit"/> samples; the blob's through the scalar reference interpreter, which is slow
    /// on large networks), both through the pipeline, whose fields the blob's metadata records so the board feeds
    /// the model the same way.
    /// </summary>
    public static ExportReport Export(this Model model, string path, QuantizationOptions options, ImageBatches train, ImageBatches test, Func<Model, IBatchSource, double> accuracy, int evalLimit = int.MaxValue, IReadOnlyDictionary<string, EnbValue>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(accuracy);
        var pipeline = train.Pipeline;
        int[] sample = [pipeline.Height, pipeline.Width, pipeline.Channels];
        var calib = new List<(float[] Data, int Count)>();
        for (int s = 0; s < Math.Min(options.CalibrationSamples, train.Count); s += 50)
        {
            int k = Math.Min(50, Math.Min(options.CalibrationSamples, train.Count) - s);
            calib.Add((train.Inputs(s, k), k));
        }

        int evalCount = Math.Min(evalLimit, test.Count);
        var evalSet = new ImageBatches(test.Dataset.Take(evalCount), pipeline);
        double floatAcc = accuracy(model, evalSet);
        var meta = new Dictionary<string, EnbValue>
        {
            [MetadataKeys.ClassNames.Name] = EnbValue.Strings([.. train.Dataset.ClassNames]),
            [MetadataKeys.Dataset.Name] = EnbValue.String(train.Dataset.Name.Split('/')[0]),
            [MetadataKeys.Accuracy.Name] = EnbValue.F32((float)floatAcc),
        };
        foreach (var (k, v) in pipeline.Metadata())
        {
            meta[k] = v;
        }

        foreach (var (k, v) in metadata ?? new Dictionary<string, EnbValue>())
        {
            meta[k] = v; // the caller's last word (an imported model's class names)
        }

        var report = Write(model, path, options, sample, calib, meta, blob => BlobAccuracy(blob, evalSet));
        return report with { FloatAccuracy = floatAcc };
    }

    /// <summary>
    /// Models whose input is not an image: the char LSTM (calibration batches of token ids [N, T]) or
    /// the DQN's Q-network (observations [N, 4]).
    /// </summary>
    public static ExportReport ExportSamples(Model model, string path, QuantizationOptions options, IReadOnlyList<NDArray> calibration, IReadOnlyDictionary<string, EnbValue> metadata)
    {
        int[] sample = calibration[0].SampleShape.Dims;
        var meta = new Dictionary<string, EnbValue>(metadata) { [MetadataKeys.InputShape.Name] = EnbValue.Ints(sample) };
        return Write(model, path, options, sample, calibration.Select(a => (a.Data, a.Count)).ToList(), meta, blobAccuracy: null);
    }

    private static List<(float[] Data, int Count)> Batches(ImageDataset d, int n)
    {
        var list = new List<(float[], int)>();
        for (int s = 0; s < n; s += 50)
        {
            int k = Math.Min(50, n - s);
            list.Add((d.Images.AsSpan(s * d.SampleSize, k * d.SampleSize).ToArray(), k));
        }

        return list;
    }

    /// <summary>
    /// Traces, calibrates and builds the blob in memory; measures it there (per-layer error and, when
    /// <paramref name="blobAccuracy"/> is given, its accuracy, stored in its metadata); then writes it
    /// once, atomically.
    /// </summary>
    private static ExportReport Write(Model model, string path, QuantizationOptions options, int[] sample, List<(float[] Data, int Count)> calib, Dictionary<string, EnbValue> meta, Func<BlobReader, double>? blobAccuracy)
    {
        // 1. Trace the float model into a graph.
        ExportGraph graph;
        using (var scope = TensorScope.Begin())
        using (var tracer = GraphTracer.Begin())
        {
            var x = Tensor.FromArray(calib[0].Data.AsSpan(0, calib[0].Data.Length / calib[0].Count), new Shape([1, .. sample]));
            var y = GradientTape.NoRecord(() => model.Apply(x));
            graph = ExportGraph.FromTrace(x, y, tracer.Ops);
        }

        // 2. Observe every activation on the calibration samples (ranges for int8; references for the error report).
        var observed = Observe(model, graph, sample, calib, options);
        float[] min = observed.Select(o => o.Min).ToArray();
        float[] max = observed.Select(o => o.Max).ToArray();

        // 3. Write the blob.
        var w = new BlobWriter();
        w.SetMetadata(MetadataKeys.Architecture, model.Name);
        w.SetMetadata(MetadataKeys.Name, $"{model.Name}-{options.Scheme.ToString().ToLowerInvariant()}");
        w.SetMetadata(MetadataKeys.CreatedBy, "EdgeNet.Trainer export");
        foreach (var (k, v) in meta)
        {
            w.SetMetadata(k, v);
        }

        w.SetMetadata(MetadataKeys.QuantizationVersion, EnbValue.U32(MetadataKeys.QuantizationSchemeVersion));
        w.SetMetadata(MetadataKeys.QuantizationScheme, options.Scheme.ToString().ToLowerInvariant());
        if (options.Scheme == QuantizationScheme.Int8)
        {
            w.SetMetadata(MetadataKeys.QuantizationCalibration, $"{options.Calibration.ToString().ToLowerInvariant()} over {calib.Sum(c => c.Count)} samples" +
                (options.Calibration == CalibrationMethod.Percentile ? $" ({options.Percentile.ToString(CultureInfo.InvariantCulture)}th percentile)" : ""));
        }

        w.SetMetadata(MetadataKeys.QuantizedAccuracy, EnbValue.F32(float.NaN));
        bool floatInput = options.Scheme == QuantizationScheme.Int8 && HeterogeneousFeatures(sample, calib);
        if (floatInput)
        {
            w.SetMetadata(MetadataKeys.FloatInputLayer, EnbValue.Bool(true));
        }

        bool floatOutput = options.Scheme == QuantizationScheme.Int8 && options.FloatOutputLayer;
        if (floatOutput)
        {
            w.SetMetadata(MetadataKeys.FloatOutputLayer, EnbValue.Bool(true));
        }

        var scheme = options.Scheme switch
        {
            QuantizationScheme.F16 => Formats.Schemes.BlobScheme.F16,
            QuantizationScheme.Int8 => Formats.Schemes.BlobScheme.Int8,
            _ => Formats.Schemes.BlobScheme.F32,
        };
        Formats.Schemes.SchemeBuilder.Build(graph.ToFloatGraph(), scheme, min, max, w, floatInput, floatOutput);

        // 4. Measure the blob as the runtime will read it: per-layer error against the float activations
        //    on the first calibration batch, and its accuracy; then write it once.
        byte[] bytes = w.ToArray();
        List<LayerError> errors;
        double? quantAcc = null;
        using (var blob = BlobReader.FromBytes(bytes, path, new BlobReadOptions { VerifyTensorHashes = true }))
        {
            errors = LayerErrors(blob, graph, calib[0], observed);
            quantAcc = blobAccuracy?.Invoke(blob);
        }

        if (quantAcc is { } acc)
        {
            bytes = w.SetMetadata(MetadataKeys.QuantizedAccuracy, EnbValue.F32((float)acc)).ToArray();
        }

        AtomicFile.Write(path, s => s.Write(bytes));
        return new ExportReport(path, options.Scheme, bytes.LongLength, null, quantAcc, errors);
    }

    /// <summary>
    /// A vector input (one axis per sample) whose features span ranges more than 8× apart: one int8
    /// scale for all of them would leave the narrowest fewer than 32 of the 255 steps (a CartPole
    /// observation: the angle spans ±0.2 rad, the velocities ±3), so the layer reading it stays float.
    /// </summary>
    internal static bool HeterogeneousFeatures(int[] sample, List<(float[] Data, int Count)> calib)
    {
        if (sample.Length != 1 || sample[0] < 2)
        {
            return false;
        }

        int d = sample[0];
        var lo = Enumerable.Repeat(float.PositiveInfinity, d).ToArray();
        var hi = Enumerable.Repeat(float.NegativeInfinity, d).ToArray();
        foreach (var (data, count) in calib)
        {
            for (int i = 0; i < count * d; i++)
            {
                lo[i % d] = Math.Min(lo[i % d], data[i]);
                hi[i % d] = Math.Max(hi[i % d], data[i]);
            }
        }

        var spans = Enumerable.Range(0, d).Select(j => Math.Max(hi[j] - lo[j], 0f)).ToArray();
        float widest = spans.Max(), narrowest = spans.Where(x => x > 0).DefaultIfEmpty(widest).Min();
        return widest > 8 * narrowest;
    }

    private sealed class Observation
    {
        public float Min = float.PositiveInfinity;
        public float Max = float.NegativeInfinity;
        public float[]? FirstBatch;
        public List<float> Sample = [];
    }

    private static Observation[] Observe(Model model, ExportGraph graph, int[] sample, List<(float[] Data, int Count)> calib, QuantizationOptions options)
    {
        var obs = graph.Values.Select(_ => new Observation()).ToArray();
        var rng = new Random(5);
        foreach (var (data, count) in calib)
        {
            using var scope = TensorScope.Begin();
            using var tracer = GraphTracer.Begin();
            var x = Tensor.FromArray(data, new Shape([count, .. sample]));
            GradientTape.NoRecord(() => model.Apply(x));
            for (int v = 0; v < graph.Values.Count; v++)
            {
                var (op, output) = graph.Sources[v];
                float[] values = op < 0 ? data : tracer.Ops[op].Outputs[output].ToArray();
                var o = obs[v];
                o.FirstBatch ??= values;
                foreach (float f in values)
                {
                    o.Min = Math.Min(o.Min, f);
                    o.Max = Math.Max(o.Max, f);
                }

                if (options.Calibration == CalibrationMethod.Percentile)
                {
                    for (int i = 0; i < Math.Min(values.Length, 20_000); i++)
                    {
                        o.Sample.Add(values[rng.Next(values.Length)]);
                    }
                }
            }
        }

        if (options.Calibration == CalibrationMethod.Percentile)
        {
            foreach (var o in obs.Where(o => o.Sample.Count > 0))
            {
                o.Sample.Sort();
                double p = options.Percentile / 100;
                o.Min = o.Sample[(int)((1 - p) * (o.Sample.Count - 1))];
                o.Max = o.Sample[(int)(p * (o.Sample.Count - 1))];
            }
        }

        return obs;
    }

    private static List<LayerError> LayerErrors(BlobReader r, ExportGraph graph, (float[] Data, int Count) batch, Observation[] observed)
    {
        var seen = new Dictionary<string, float[]>(StringComparer.Ordinal);
        new ReferenceInterpreter(r).Run(batch.Data, batch.Count, (name, values) => seen[name] = values);
        var errors = new List<LayerError>();
        for (int v = 1; v < graph.Values.Count; v++)
        {
            string name = graph.Values[v].Name;
            if (!seen.TryGetValue(name, out var q) || observed[v].FirstBatch is not { } f || f.Length != q.Length)
            {
                continue;
            }

            double scale = Math.Max(1e-12, f.Max(Math.Abs));
            double maxRel = 0, sum = 0;
            for (int i = 0; i < f.Length; i++)
            {
                double e = Math.Abs(f[i] - q[i]) / scale;
                maxRel = Math.Max(maxRel, e);
                sum += e;
            }

            errors.Add(new LayerError(name, maxRel, sum / f.Length));
        }

        return errors;
    }

    /// <summary>Accuracy of a blob on images fed through a pipeline, with the reference interpreter.</summary>
    public static double BlobAccuracy(BlobReader r, ImageBatches test)
    {
        ArgumentNullException.ThrowIfNull(test);
        var interp = new ReferenceInterpreter(r);
        int correct = 0;
        for (int s = 0; s < test.Count; s += 50)
        {
            int k = Math.Min(50, test.Count - s);
            float[] probs = interp.Run(test.Inputs(s, k), k);
            int classes = probs.Length / k;
            for (int i = 0; i < k; i++)
            {
                correct += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probs.AsSpan(i * classes, classes)) == test.Dataset.Labels[s + i] ? 1 : 0;
            }
        }

        return test.Count == 0 ? 0 : (double)correct / test.Count;
    }

    /// <summary>Accuracy of a blob on a test set with the reference interpreter.</summary>
    public static double BlobAccuracy(BlobReader r, ImageDataset test)
    {
        var interp = new ReferenceInterpreter(r);
        int correct = 0;
        for (int s = 0; s < test.Count; s += 100)
        {
            int k = Math.Min(100, test.Count - s);
            float[] probs = interp.Run(test.Images.AsSpan(s * test.SampleSize, k * test.SampleSize).ToArray(), k);
            int classes = probs.Length / k;
            for (int i = 0; i < k; i++)
            {
                correct += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probs.AsSpan(i * classes, classes)) == test.Labels[s + i] ? 1 : 0;
            }
        }

        return (double)correct / test.Count;
    }
}
