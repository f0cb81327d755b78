namespace EdgeNet.Runtime.Training;

/// <summary>One weight tensor of the session: where its values, gradient and optimizer state live in the arena.</summary>
internal sealed class TrainParam
{
    internal TrainParam(string name, string layer, int tensorIndex, long[] dims, float[] initial)
    {
        Name = name;
        Layer = layer;
        TensorIndex = tensorIndex;
        Dims = dims;
        Initial = initial;
        Length = initial.Length;
    }

    /// <summary>The tensor's name in the blob, e.g. <c>dense_1/kernel</c>.</summary>
    public string Name { get; }

    /// <summary>The layer it belongs to, e.g. <c>dense_1</c>.</summary>
    public string Layer { get; }

    public int TensorIndex { get; }

    public IReadOnlyList<long> Dims { get; }

    public int Length { get; }

    /// <summary>True when this tensor learns; a frozen one keeps its bytes.</summary>
    public bool Trainable { get; internal set; }

    /// <summary>The values read from the blob until they are copied into the arena (then released: the arena holds the only copy).</summary>
    internal float[] Initial { get; set; }

    // Arena offsets in floats (−1: none): the values, the gradient, the optimizer slots (Adam m, v; SGD velocity).
    internal int Value { get; set; } = -1;

    internal int Grad { get; set; } = -1;

    internal int Slot0 { get; set; } = -1;

    internal int Slot1 { get; set; } = -1;

    // Planner ids while planning.
    internal int ValueId { get; set; } = -1;

    internal int GradId { get; set; } = -1;

    internal int Slot0Id { get; set; } = -1;

    internal int Slot1Id { get; set; } = -1;
}
