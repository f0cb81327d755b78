namespace EdgeNet.Runtime.Training;

/// <summary>
/// The session's one buffer and where everything lives in it (offsets in floats, set by the plan):
/// each value's activation and gradient, each operator's forward and backward scratch, the weights,
/// their gradients and optimizer state. Spans over it are all a step touches: nothing is allocated.
/// </summary>
internal sealed class TrainArena
{
    public TrainArena(int values, int ops)
    {
        ValueAt = new int[values];
        GradAt = new int[values];
        ForwardScratchAt = new int[ops];
        BackwardScratchAt = new int[ops];
        Array.Fill(GradAt, -1);
    }

    public float[] Data { get; set; } = [];

    public int[] ValueAt { get; }

    public int[] GradAt { get; }

    public int[] ForwardScratchAt { get; }

    public int[] BackwardScratchAt { get; }

    // Offsets are kept by root value: a reshape's output is its input's buffer, and so is its gradient.
    public Span<float> Value(ValueSlot v, int batch) => Data.AsSpan(ValueAt[v.Root], v.Elements(batch));

    public Span<float> Grad(ValueSlot v, int batch) =>
        GradAt[v.Root] >= 0 ? Data.AsSpan(GradAt[v.Root], v.Elements(batch)) : throw new InvalidOperationException($"value '{v.Info.Name}' has no gradient buffer (it is below the lowest trainable layer)");

    public Span<float> ForwardScratch(int op, long floats) => Data.AsSpan(ForwardScratchAt[op], (int)floats);

    public Span<float> BackwardScratch(int op, long floats) => Data.AsSpan(BackwardScratchAt[op], (int)floats);

    public Span<float> Param(TrainParam p) => Data.AsSpan(p.Value, p.Length);

    public Span<float> ParamGrad(TrainParam p) => Data.AsSpan(p.Grad, p.Length);

    public Span<float> Slot(TrainParam p, int k) => Data.AsSpan(k == 0 ? p.Slot0 : p.Slot1, p.Length);
}
