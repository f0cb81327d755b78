using EdgeNet.Kernels;
using EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// scripts/test.sh runs this project again with .NET's instruction-set caps (DOTNET_EnableAVX512=0 for
/// the AVX2 kernels the NativeAOT x64 build runs, DOTNET_EnableAVX2=0 for Vector128) and names the
/// level it expects in EDGENET_EXPECT_ISA, so a cap that stops working (a renamed runtime knob) fails
/// here instead of rerunning the AVX-512 kernels unnoticed; likewise EDGENET_VNNI=0 for the AVX512-VNNI int8 panels.
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
        // AVX512-VNNI from CPUID itself (leaf 7, ECX bit 11): the int8 panels map their VNNI machine code on 64-bit Linux
        // unless EDGENET_VNNI=0 (scripts/test.sh's pass over the C# panels).
        bool vnni = OperatingSystem.IsLinux() && System.Runtime.Intrinsics.X86.X86Base.X64.IsSupported && (System.Runtime.Intrinsics.X86.X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0
            && Environment.GetEnvironmentVariable("EDGENET_VNNI") != "0";
        Assert.AreEqual(vnni && expected == "avx512", Int8Vnni.Available, "the AVX512-VNNI panels");
        string int8 = expected switch { "avx512" => vnni ? "avx512-vnni vpdpbusd/vpdpwssd" : "avx512bw vpmaddwd", "avx2" => System.Runtime.Intrinsics.X86.AvxVnni.IsSupported ? "avx2 vpdpwssd (avx-vnni)" : "avx2 vpmaddwd", _ => Int8Gemm.DotProduct ? "arm64 sdot" : "vector128 pmaddwd" };
        Assert.AreEqual(int8, Int8Gemm.Isa, "int8 GEMM level");
    }

    /// <summary>
    /// A weighted layer's requantization a vector at a time (16 lanes, 8, or two of 4 at this run's level) equals the
    /// scalar form for every lane: ties (acc · scale exactly k + ½), accumulators beyond 2^24 (rounded on the way to
    /// float), the int32 extremes (clamped in float), a fused-ReLU floor, 45 channels (16 + 16 + 8 + 4 + 1: every step of the tail).
    /// </summary>
    [TestMethod]
    public unsafe void Layer_requantization_vectors_equal_the_scalar_form()
    {
        const int n = 45, rows = 64;
        var rng = new Random(5);
        var requant = new int[2 * n];
        for (int c = 0; c < n; c++)
        {
            requant[c] = rng.Next(1 << 30, int.MaxValue);
            requant[n + c] = c % 5 == 0 ? 0 : rng.Next(-20, 0);   // shift 0: scale q/2^31 near ½, where ties are frequent
        }

        requant[0] = 1 << 30;   // channel 0: the scale exactly ½
        requant[n] = 0;
        var table = new RequantTable(requant, n);
        var acc = new int[rows * n];
        for (int i = 0; i < acc.Length; i++)
        {
            int c = i % n;
            acc[i] = (i / n) switch
            {
                0 => int.MaxValue,
                1 => int.MinValue,
                2 => (1 << 24) + 1 + (2 * c),
                3 => 2 * rng.Next(-300, 300) + 1,   // odd: a tie when the scale is ½
                _ => rng.Next(-(1 << (i % 27)), 1 << (i % 27)),
            };
        }

        foreach (var (zp, lo, hi) in new[] { (-3, -128, 127), (-20, -20, 127), (5, 5, 90) })
        {
            var y = new sbyte[acc.Length];
            fixed (int* a = acc)
            fixed (sbyte* yp = y)
            {
                table.Block(a, rows, 0, n, zp, lo, yp, hi);
            }

            for (int i = 0; i < acc.Length; i++)
            {
                Assert.AreEqual(Requantize.Layer(acc[i], table.Scale(i % n), zp, lo, hi), y[i], $"row {i / n} channel {i % n}: acc {acc[i]} scale {table.Scale(i % n)} zp {zp} [{lo}, {hi}]");
            }
        }
    }

    /// <summary>
    /// The int8 add a vector at a time (16 lanes, 8, or four of 4 at this run's level) equals the scalar form for every
    /// pair of codes (65,536 plus a tail of 13 the reference does): scales ½ and ¼ (ties: (a − za)·½ is k + ½ for odd
    /// a − za), scales from random tables, a fused ReLU floor and a ReLU6-like cap.
    /// </summary>
    [TestMethod]
    public unsafe void Int8_add_vectors_equal_the_scalar_form()
    {
        const int n = (256 * 256) + 13;
        var (a, b) = (new sbyte[n], new sbyte[n]);
        for (int i = 0; i < n; i++)
        {
            (a[i], b[i]) = ((sbyte)(i & 255), (sbyte)(i >> 8));
        }

        var rng = new Random(9);
        foreach (var (ka, kb, za, zb, zy, lo, hi) in new[]
        {
            (0.5f, 0.25f, 0, 0, 0, -128, 127), (0.5f, 0.25f, -3, 17, -7, -7, 127),
            ((float)rng.NextDouble() * 3, (float)rng.NextDouble(), 5, -20, 11, -128, 127), ((float)rng.NextDouble() / 4, (float)rng.NextDouble() * 2, -128, 127, -128, -128, 90),
        })
        {
            var y = new sbyte[n];
            fixed (sbyte* ap = a, bp = b, yp = y)
            {
                Elementwise.AddInt8(ap, za, bp, zb, n, ka, kb, zy, lo, hi, yp);
            }

            for (int i = 0; i < n; i++)
            {
                Assert.AreEqual(Requantize.Add(a[i], za, b[i], zb, ka, kb, zy, lo, hi), y[i], $"element {i}: a {a[i]} b {b[i]} k ({ka}, {kb}) z ({za}, {zb}, {zy}) [{lo}, {hi}]");
            }
        }
    }

    /// <summary>
    /// A NaN in a float layer's input stays NaN through the fused clamps at this level, as in the reference kernels and
    /// on arm64 (x64's vmaxps/vminps return their second operand when one is NaN: the sums must be that operand): the
    /// packed GEMM with ReLU and ReLU6 (full and half panels, the few-rows path), the 3x3 depthwise rows with linear,
    /// ReLU and ReLU6, on 32 channels.
    /// </summary>
    [TestMethod]
    public unsafe void A_NaN_stays_NaN_through_the_fused_activations()
    {
        const int k = 8, n = 40, c = 32;
        var w = Enumerable.Range(0, k * n).Select(i => ((i % 7) - 3) * 0.25f).ToArray();
        var packed = PackedGemm.Pack(w, k, n);
        var bias = PackedGemm.PadBias(new float[n], n);
        foreach (int rows in new[] { 3, 17 })
        {
            var a = Enumerable.Range(0, rows * k).Select(i => (i % 5) * 0.5f).ToArray();
            a[k + 2] = float.NaN;   // row 1
            foreach (int act in new[] { EdgeNet.Kernels.Reference.Activations.Relu, EdgeNet.Kernels.Reference.Activations.Relu6 })
            {
                var y = new float[rows * n];
                fixed (float* ap = a, pp = packed, bp = bias, yp = y)
                {
                    PackedGemm.Run(ap, k, rows, k, pp, bp, n, act, yp, n, 0, PackedGemm.Panels(n));
                }

                for (int j = 0; j < n; j++)
                {
                    Assert.IsTrue(float.IsNaN(y[n + j]), $"gemm rows {rows} act {act}: row 1 column {j} is {y[n + j]}");
                    Assert.IsFalse(float.IsNaN(y[j]), $"gemm rows {rows} act {act}: row 0 column {j}");
                }
            }
        }

        var g = new EdgeNet.Kernels.Reference.Window(9, 10, c, 3, 3, 1, 1, 1, 1, 9, 10);
        var x = Enumerable.Range(0, 9 * 10 * c).Select(i => ((i % 11) - 5) * 0.1f).ToArray();
        x[((4 * 10) + 5) * c] = float.NaN;   // pixel (4, 5), channel 0: in the windows of outputs (3..5, 4..6)
        var dw = Enumerable.Range(0, 9 * c).Select(i => ((i % 3) + 1) * 0.2f).ToArray();
        var db = new float[c];
        foreach (int act in new[] { EdgeNet.Kernels.Reference.Activations.Linear, EdgeNet.Kernels.Reference.Activations.Relu, EdgeNet.Kernels.Reference.Activations.Relu6 })
        {
            var y = new float[9 * 10 * c];
            fixed (float* xp = x, wp = dw, bp = db, yp = y)
            {
                DepthwiseConv2D.Forward(xp, 0, 1, g, wp, bp, 1, act, yp);
            }

            for (int oh = 3; oh <= 5; oh++)
            {
                for (int ow = 4; ow <= 6; ow++)
                {
                    float v = y[((oh * 10) + ow) * c];
                    Assert.IsTrue(float.IsNaN(v), $"depthwise act {act}: output ({oh}, {ow}) channel 0 is {v}");
                    Assert.IsFalse(float.IsNaN(y[(((oh * 10) + ow) * c) + 1]), $"depthwise act {act}: channel 1");
                }
            }
        }
    }
}
