using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

/// <summary>
/// Watches the ops of a forward pass: each op's kind (a contract operator's name, e.g. "dense", or
/// a trace-only kind such as "lstm_cell"), its tensors and attributes. The exporter's graph tracer
/// implements it; Autograd knows only this interface, so the lower layer never reaches up.
/// </summary>
internal interface IOpRecorder
{
    /// <summary>An op of <paramref name="kind"/>, run inside the layer <paramref name="layer"/> (the innermost one called; null outside layers).</summary>
    void Record(string kind, Tensor[] inputs, Tensor[] outputs, KeyValuePair<string, EnbValue>[] attributes, string? layer);
}

/// <summary>The recorder active on this thread, if any. Ops check <see cref="Active"/> first, so training pays one null check.</summary>
internal static class OpRecording
{
    [ThreadStatic] private static IOpRecorder? t_current;
    [ThreadStatic] private static string? t_layer;

    public static bool Active => t_current is not null;

    /// <summary>Makes <paramref name="recorder"/> the active one and returns the one it replaces (restore it when done).</summary>
    public static IOpRecorder? Swap(IOpRecorder? recorder)
    {
        var previous = t_current;
        t_current = recorder;
        return previous;
    }

    /// <summary>Makes <paramref name="layer"/> the layer whose Call is running and returns the one it replaces (a layer calling sublayers nests).</summary>
    public static string? Swap(string? layer)
    {
        var previous = t_layer;
        t_layer = layer;
        return previous;
    }

    public static void Record(string kind, Tensor[] inputs, Tensor[] outputs, params KeyValuePair<string, EnbValue>[] attributes) =>
        t_current?.Record(kind, inputs, outputs, attributes, t_layer);
}
