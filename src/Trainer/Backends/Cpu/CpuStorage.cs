using System.Buffers;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>A host float buffer rented from the CPU backend's pool.</summary>
internal sealed class CpuStorage : Storage
{
    /// <summary>
    /// The backend's own pool. ArrayPool.Shared keeps only a few arrays per size and core and drops
    /// the rest on return; a training step holds more than that of one size at once (activations,
    /// gradients, clip copies), so the surplus became garbage — 256 KB weight gradients on the large
    /// object heap, which forced a gen-2 collection every few hundred steps. This pool keeps every
    /// returned array up to 256 per size: it retains at most what a step uses at its peak.
    /// </summary>
    private static readonly ArrayPool<float> s_pool = ArrayPool<float>.Create(maxArrayLength: 1 << 30, maxArraysPerBucket: 256);

    internal CpuStorage(IBackend backend, int length)
        : base(backend, length)
    {
        Data = s_pool.Rent(Math.Max(length, 1));
    }

    /// <summary>The pooled array; only the first <see cref="Storage.Length"/> elements belong to the tensor.</summary>
    public float[] Data { get; private set; }

    public Span<float> Span => Data.AsSpan(0, Length);

    protected override void Free()
    {
        var d = Data;
        Data = [];
        s_pool.Return(d);
    }
}
