using EdgeNet.Formats.Enb;

namespace EdgeNet.Runtime.Cli;

/// <summary>What the command line reads from a blob's metadata to feed it and label its output.</summary>
internal static class ModelInfo
{
    public static (float Scale, float Offset) Normalization(BlobReader r) =>
        r.GetMetadata("input.normalization")?.AsFloatArray() is [var s, var o] ? (s, o) : (1f / 255f, 0f);

    public static string[] ClassNames(BlobReader r, int classes) =>
        r.GetMetadata("general.class_names")?.AsStringArray() is { } names && names.Length == classes
            ? names
            : Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public static int[] InputShape(BlobReader r) =>
        r.GetMetadata("general.input_shape")?.AsInt32Array() ?? r.Graph!.Values[r.Graph.Inputs[0]].Dims.Skip(1).ToArray();
}
