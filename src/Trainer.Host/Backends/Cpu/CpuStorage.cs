using System.Buffers;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>A host float buffer rented from the shared pool.</summary>
public sealed class CpuStorage : Storage
{
    internal CpuStorage(IBackend backend, int length)
        : base(backend, length)
    {
        Data = ArrayPool<float>.Shared.Rent(Math.Max(length, 1));
    }

    /// <summary>The pooled array; only the first <see cref="Storage.Length"/> elements belong to the tensor.</summary>
    public float[] Data { get; private set; }

    public Span<float> Span => Data.AsSpan(0, Length);

    protected override void Free()
    {
        var d = Data;
        Data = [];
        ArrayPool<float>.Shared.Return(d);
    }
}
