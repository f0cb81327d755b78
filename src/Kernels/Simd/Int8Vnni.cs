using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// The int8 GEMM's panels (32, 16 and 8 channels) with AVX512-VNNI: vpdpwssd does a pair multiply-add in one
/// instruction where vpmaddwd + vpaddd take two, and on this class of core the two-instruction form is no faster per
/// multiply-add than f32 FMAs (measured: FMA 88, vpmaddwd + vpaddd 92, vpdpwssd 158 G multiply-adds/s on one core);
/// over row-major rows (<see cref="QuadPanel"/>) vpdpbusd does four (uint8 × int8) in one. .NET 10 exposes
/// them only at 256 bits with the VEX encoding (AvxVnni) or through Avx10v1, neither of which AVX-512 cores before
/// AVX10 report, so the kernels are C (src/Kernels/Native/int8_panel_vnni.c) whose machine code scripts/gen-vnni.py
/// checks in (<see cref="Code"/>), mapped executable once per process (never writable and executable at once). Used
/// on 64-bit Linux when the CPU reports AVX512-VNNI and .NET runs AVX-512BW (so <c>DOTNET_EnableAVX512=0</c> turns it
/// off with the rest), and not when <c>EDGENET_VNNI=0</c> (or where the page cannot be mapped executable); the same
/// sums and requantization as <see cref="Int8Gemm"/>'s Panel512, PanelHalf512 and PanelQuarter512, so the results are
/// the same bits (the golden tests hold both to the integer reference).
/// </summary>
internal static unsafe partial class Int8Vnni
{
    private static readonly byte* Page = Map();

    private static readonly delegate* unmanaged<short*, long, int*, int*, int, int, short*, int*, float*, sbyte*, long, int, int, int, int, void> Kernel =
        (delegate* unmanaged<short*, long, int*, int*, int, int, short*, int*, float*, sbyte*, long, int, int, int, int, void>)Page;

    private static readonly delegate* unmanaged<byte*, long, int, int, sbyte*, int*, float*, sbyte*, long, int, int, int, int, int*, void> QuadKernel =
        Page == null ? null : (delegate* unmanaged<byte*, long, int, int, sbyte*, int*, float*, sbyte*, long, int, int, int, int, int*, void>)(Page + QuadsOffset);

    /// <summary>
    /// The dword indices 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15 (native memory, for the process's life): the
    /// kernels' requantization packs four vectors of sums into one of codes, interleaved by 128-bit lane, and this gathers
    /// each source's 16 bytes (the C kernels carry no data, so it is an argument).
    /// </summary>
    private static readonly int* PackOrder = MakePackOrder();

    private static int* MakePackOrder()
    {
        int* order = (int*)NativeMemory.AlignedAlloc(16 * sizeof(int), 64);
        for (int i = 0; i < 16; i++)
        {
            order[i] = (i % 4 * 4) + (i / 4);
        }

        return order;
    }

    /// <summary>Whether <see cref="Panel"/> runs on this machine.</summary>
    public static bool Available => Kernel != null;

    /// <summary>
    /// One panel of up to 32 channels, all rows: x int16 rows at x + (rowOffsets?[r] ?? r·lda), pair p at
    /// + (colOffsets?[p] ?? 2p); w [pairs][32][2] int16; bias [32] int32 (folded; 16 read where nr ≤ 16); scales
    /// [32]; y [rows, ldy] int8, the first nr channels of each row written (8 rows × 32 channels a step; 16 rows × 16
    /// where nr ≤ 16; where nr ≤ 8 over row-major pairs, 16 rows × 8 channels × two pairs of k).
    /// </summary>
    public static void Panel(short* x, long lda, int* rowOffsets, int* colOffsets, int rows, int pairs, short* w, int* bias, float* scales, sbyte* y, long ldy, int nr, int zeroPoint, int lo, int hi)
    {
        if (nr is < 1 or > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(nr), nr, "a panel has 1 to 32 channels");
        }

        Kernel(x, lda, rowOffsets, colOffsets, rows, pairs, w, bias, scales, y, ldy, nr, zeroPoint, lo, hi);
    }

    /// <summary>
    /// One panel of up to 32 channels over quads of k (vpdpbusd), row-major rows: x uint8 rows (the int8 activations + 128,
    /// <see cref="Int8Gemm.PrepareRows"/>) at x + r·lda, quad q at + 4q; w [quads][32][4] int8; bias [32] int32 (folded,
    /// less 128·Σw); the rest as <see cref="Panel"/> (8 rows × 32 channels a step, 16 × 16 where nr ≤ 16, 16 rows × 8
    /// channels × two quads where nr ≤ 8).
    /// </summary>
    public static void QuadPanel(byte* x, long lda, int rows, int quads, sbyte* w, int* bias, float* scales, sbyte* y, long ldy, int nr, int zeroPoint, int lo, int hi)
    {
        if (nr is < 1 or > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(nr), nr, "a panel has 1 to 32 channels");
        }

        QuadKernel(x, lda, rows, quads, w, bias, scales, y, ldy, nr, zeroPoint, lo, hi, PackOrder);
    }

    private static readonly delegate* unmanaged<sbyte*, int, int, int, int, int, int, int, int, int, int, int, int*, int*, float*, int, int, int, void*, int, sbyte*, int*, void> DepthwiseKernel =
        Page == null ? null : (delegate* unmanaged<sbyte*, int, int, int, int, int, int, int, int, int, int, int, int*, int*, float*, int, int, int, void*, int, sbyte*, int*, void>)(Page + Depthwise3x3Offset);

    /// <summary>Vectors (64 bytes) of ring <see cref="Depthwise3x3"/> needs: three rows of column pairs.</summary>
    public static long Depthwise3x3RingVectors(int outW, int strideW) => 3L * Depthwise3x3Pairs(outW, strideW);

    /// <summary>The pairs of padded columns a ring row holds: output column ow reads pairs ⌊ow·SW / 2⌋ and the one after (the last few columns, and one pair to spare, are the padding's).</summary>
    private static int Depthwise3x3Pairs(int outW, int strideW) => ((((outW + 1) * strideW) + 2) / 2) + 1;

    /// <summary>
    /// Output rows [oh0, oh1) of one image of an int8 3x3 depthwise convolution, multiplier 1, stride 1 or 2 across (any
    /// down), with vpdpwssd over int16 pairs of adjacent columns: xn [H, W, C] int8 (zero point zx, also the padding's
    /// code); w [9, C] int32, foldedBias [C] (bias − zx·Σw), scales [C], each readable 16 values past C; ring
    /// <see cref="Depthwise3x3RingVectors"/> × 64 bytes of scratch; yn [OH, OW, C] int8, requantized as <see cref="Panel"/>.
    /// </summary>
    public static void Depthwise3x3(sbyte* xn, int h, int w, int c, int strideH, int strideW, int padTop, int padLeft, int outW, int oh0, int oh1, int zx, int* weights, int* foldedBias, float* scales, int zeroPoint, int lo, int hi, void* ring, sbyte* yn)
    {
        if (strideW is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(strideW), strideW, "the VNNI depthwise rows take stride 1 or 2 across");
        }

        DepthwiseKernel(xn, h, w, c, strideH, strideW, padTop, padLeft, outW, oh0, oh1, zx, weights, foldedBias, scales, zeroPoint, lo, hi, ring, Depthwise3x3Pairs(outW, strideW), yn, PackOrder);
    }

    private static byte* Map()
    {
        // Where Int8Gemm runs its AVX-512 panels (Avx512BW, whether or not .NET prefers 512-bit vectors elsewhere).
        if (!OperatingSystem.IsLinux() || !X86Base.X64.IsSupported || !Avx512BW.IsSupported || Environment.GetEnvironmentVariable("EDGENET_VNNI") == "0")
        {
            return null;
        }

        const int Avx512VnniBit = 1 << 11;   // CPUID leaf 7, sub-leaf 0, ECX
        if ((X86Base.CpuId(7, 0).Ecx & Avx512VnniBit) == 0)
        {
            return null;
        }

        try
        {
            nuint length = (nuint)Code.Length;
            void* page = Mmap(null, length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (page == (void*)-1)
            {
                return null;
            }

            Code.CopyTo(new Span<byte>(page, Code.Length));
            if (Mprotect(page, length, ProtRead | ProtExec) != 0)
            {
                _ = Munmap(page, length);
                return null;   // e.g. a kernel that refuses executable anonymous memory: the C# panels run
            }

            return (byte*)page;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;   // no libc to map with: the C# panels run
        }
    }

    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 2, MapAnonymous = 0x20;

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "mprotect")]
    private static partial int Mprotect(void* address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(void* address, nuint length);
}
