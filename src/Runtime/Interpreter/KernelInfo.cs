namespace EdgeNet.Runtime;

/// <summary>Which SIMD kernels this process runs, as the commands and benchmarks print them.</summary>
public static class KernelInfo
{
    /// <summary>The f32 inference GEMM's instruction set (e.g. "avx512", "avx2", "arm64 advsimd").</summary>
    public static string FloatGemm => EdgeNet.Kernels.Simd.PackedGemm.Isa;

    /// <summary>The int8 GEMM's instruction set and its dot-product instruction (e.g. "avx2 vpmaddwd", "arm64 sdot").</summary>
    public static string Int8Gemm => EdgeNet.Kernels.Simd.Int8Gemm.Isa;

    /// <summary>The training GEMM's micro-kernel (instruction set and register block).</summary>
    public static string TrainingGemm => EdgeNet.Kernels.Simd.Gemm.KernelName;
}
