using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Runtime.Input;

/// <summary>What the command line reads from a blob's metadata to feed it and label its output.</summary>
internal static class ModelInfo
{
    /// <summary>The image pipeline the blob's metadata states (a digit model without the keys: grey, area, / 255).</summary>
    public static Formats.Data.ImagePipeline Pipeline(BlobReader r) =>
        Formats.Data.ImagePipeline.FromMetadata(k => k == MetadataKeys.InputShape ? EnbValue.Ints(InputShape(r)) : r.GetMetadata(k), r.FileName);

    /// <summary>True when the blob names how images are resized (a model trained through an image pipeline, e.g. MobileNetV2).</summary>
    public static bool HasPipeline(BlobReader r) => r.GetMetadata(MetadataKeys.InputResize) is not null;

    /// <summary>Each input channel's scale and offset (input.normalization: one pair, or a scale and an offset per channel).</summary>
    public static (float[] Scales, float[] Offsets) Normalization(BlobReader r, int channels)
    {
        var n = r.GetMetadata(MetadataKeys.InputNormalization)?.AsFloatArray() ?? [1f / 255f, 0f];
        if (n.Length == 2 * channels && channels > 1)
        {
            return (n[..channels], n[channels..]);
        }

        if (n.Length != 2)
        {
            throw new RuntimeModelException($"{r.FileName}: metadata '{MetadataKeys.InputNormalization.Name}' has {n.Length} values for {channels} input channels; it is [scale, offset] or [{channels} scales, {channels} offsets]");
        }

        var s = new float[channels];
        var o = new float[channels];
        Array.Fill(s, n[0]);
        Array.Fill(o, n[1]);
        return (s, o);
    }

    /// <summary>Dataset pixels in [0, 1], [.., channels] interleaved, to the model's input: raw 0..255 values times each channel's scale plus its offset.</summary>
    public static void Normalize(ReadOnlySpan<float> pixels, Span<float> input, float[] scales, float[] offsets)
    {
        int c = scales.Length;
        for (int px = 0; px < pixels.Length; px += c)
        {
            for (int ch = 0; ch < c; ch++)
            {
                input[px + ch] = (pixels[px + ch] * 255f * scales[ch]) + offsets[ch];
            }
        }
    }

    public static string[] ClassNames(BlobReader r, int classes) =>
        r.GetMetadata(MetadataKeys.ClassNames)?.AsStringArray() is { } names && names.Length == classes
            ? names
            : Indices(classes);

    /// <summary>Output names of a Q-network (rl.action_names), else the output indices.</summary>
    public static string[] ActionNames(BlobReader r, int outputs) =>
        r.GetMetadata(MetadataKeys.ActionNames)?.AsStringArray() is { } names && names.Length == outputs
            ? names
            : Indices(outputs);

    /// <summary>"0", "1", ... "n-1".</summary>
    private static string[] Indices(int n)
    {
        var names = new string[n];
        for (int i = 0; i < n; i++)
        {
            names[i] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return names;
    }

    /// <summary>"v1,v2,..." as floats; the count must be the model's sample size (names the fields when rl.observation_names says them).</summary>
    public static float[] ParseObservation(string text, int size, string path)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != size)
        {
            var zeros = new string[size];   // a loop: Array.Fill<string> alone costs the NativeAOT binary 16 KB
            for (int i = 0; i < size; i++)
            {
                zeros[i] = "0";
            }

            throw new ArgumentException($"--obs has {parts.Length} values but {path} takes {size}" + (FieldList(path) is { } f ? $" ({f})" : "") + $"; write e.g. --obs {string.Join(',', zeros)}");
        }

        var values = new float[size];
        for (int i = 0; i < size; i++)
        {
            if (!float.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
            {
                throw new ArgumentException($"--obs value {i + 1} '{parts[i]}' is not a finite number");
            }
        }

        return values;
    }

    private static string? FieldList(string path)
    {
        try
        {
            using var r = BlobReader.Open(path);
            var names = r.GetMetadata(MetadataKeys.ObservationNames)?.AsStringArray();
            var units = r.GetMetadata(MetadataKeys.ObservationUnits)?.AsStringArray();
            if (names is null)
            {
                return null;
            }

            var fields = new string[names.Length];
            for (int i = 0; i < names.Length; i++)
            {
                fields[i] = units is not null && i < units.Length ? $"{names[i]} [{units[i]}]" : names[i];
            }

            return string.Join(", ", fields);
        }
        catch (EnbFormatException)
        {
            return null;
        }
    }

    public static int[] InputShape(BlobReader r) =>
        r.GetMetadata(MetadataKeys.InputShape)?.AsInt32Array() ?? Shapes.Copy(r.Graph!.Values[r.Graph.Inputs[0]].Dims)[1..];
}
