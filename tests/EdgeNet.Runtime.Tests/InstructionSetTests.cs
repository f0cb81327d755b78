using EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// scripts/test.sh runs this project again with .NET's instruction-set caps (DOTNET_EnableAVX512=0 for
/// the AVX2 kernels the NativeAOT x64 build runs, DOTNET_EnableAVX2=0 for Vector128) and names the
/// level it expects in EDGENET_EXPECT_ISA, so a cap that stops working (a renamed runtime knob) fails
/// here instead of rerunning the AVX-512 kernels unnoticed.
/// </summary>
[TestClass]
public sealed class InstructionSetTests
{
    [TestMethod]
    public void The_kernels_run_at_the_level_this_run_asked_for()
    {
        string expected = Environment.GetEnvironmentVariable("EDGENET_EXPECT_ISA") switch
        {
            null or "" => System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "avx512"
                : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "avx2"
                : System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "advsimd" : "vector128",
            var level => level,
        };
        Assert.AreEqual(expected, PackedGemm.Isa, "float GEMM level");
        string int8 = expected switch { "avx512" => "avx512bw vpmaddwd", "avx2" => System.Runtime.Intrinsics.X86.AvxVnni.IsSupported ? "avx2 vpdpwssd (avx-vnni)" : "avx2 vpmaddwd", _ => Int8Gemm.DotProduct ? "arm64 sdot" : "vector128 pmaddwd" };
        Assert.AreEqual(int8, Int8Gemm.Isa, "int8 GEMM level");
    }
}
