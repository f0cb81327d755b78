using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Export;

/// <summary>One op seen while tracing a forward pass: its kind, tensors and attributes.</summary>
internal sealed record TracedOp(string Kind, Tensor[] Inputs, Tensor[] Outputs, List<KeyValuePair<string, EnbValue>> Attributes, string? Layer = null);

/// <summary>
/// Records the ops of a forward pass (subclassed, Sequential or functional models alike) so the
/// exporter can turn them into the blob's graph and the calibrator can see every activation.
/// Active only inside <c>using var tracer = GraphTracer.Begin()</c> (the <see cref="OpRecording"/> of this thread).
/// </summary>
internal sealed class GraphTracer : IOpRecorder, IDisposable
{
    private readonly IOpRecorder? _parent;

    private GraphTracer() => _parent = OpRecording.Swap(this);

    public List<TracedOp> Ops { get; } = [];

    public static GraphTracer Begin() => new();

    public void Record(string kind, Tensor[] inputs, Tensor[] outputs, KeyValuePair<string, EnbValue>[] attributes, string? layer) =>
        Ops.Add(new TracedOp(kind, inputs, outputs, [.. attributes], layer));

    public void Dispose() => OpRecording.Swap(_parent);
}
