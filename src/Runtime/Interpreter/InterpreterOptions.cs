namespace EdgeNet.Runtime;

public enum KernelVariant
{
    /// <summary>Plain scalar kernels: the semantics every optimized kernel must match.</summary>
    Reference,

    /// <summary>Vector kernels (AVX-512/AVX2 on x64, AdvSimd on arm64) chosen at run time.</summary>
    Simd,
}

public sealed record InterpreterOptions
{
    /// <summary>Largest batch Invoke will be given; the arena is planned for it.</summary>
    public int MaxBatch { get; init; } = 1;

    public KernelVariant Variant { get; init; } = KernelVariant.Simd;

    /// <summary>Worker threads for the large kernels; 1 (the default) keeps the board's other cores free.</summary>
    public int Threads { get; init; } = 1;

    public bool VerifyTensorHashes { get; init; } = true;
}
