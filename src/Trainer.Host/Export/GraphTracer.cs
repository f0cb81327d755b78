using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Export;

/// <summary>One op seen while tracing a forward pass: its kind, tensors and attributes.</summary>
internal sealed record TracedOp(string Kind, Tensor[] Inputs, Tensor[] Outputs, List<KeyValuePair<string, EnbValue>> Attributes);

/// <summary>
/// Records the ops of a forward pass (subclassed, Sequential or functional models alike) so the
/// exporter can turn them into the blob's graph and the calibrator can see every activation.
/// Active only inside <c>using var tracer = GraphTracer.Begin()</c>; costs one null check otherwise.
/// </summary>
internal sealed class GraphTracer : IDisposable
{
    [ThreadStatic] private static GraphTracer? t_current;

    private readonly GraphTracer? _parent;

    private GraphTracer()
    {
        _parent = t_current;
        t_current = this;
    }

    public static GraphTracer? Current => t_current;

    public List<TracedOp> Ops { get; } = [];

    public static GraphTracer Begin() => new();

    public static void Record(string kind, Tensor[] inputs, Tensor[] outputs, params (string Key, EnbValue Value)[] attributes)
    {
        t_current?.Ops.Add(new TracedOp(kind, inputs, outputs, attributes.Select(a => new KeyValuePair<string, EnbValue>(a.Key, a.Value)).ToList()));
    }

    public void Dispose() => t_current = _parent;
}
