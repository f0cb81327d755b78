using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Int8 GEMM against weights packed once at Prepare. Activations arrive widened to int16 rows of
/// even length (im2col or a row copy does that), so a pair of k's is one 32-bit broadcast. The
/// weights are int16 pairs along K ([panels][K/2][NR][2], NR = two vectors of int32 lanes) and one
/// multiply-add of adjacent pairs handles both k's per lane: vpmaddwd (AVX-512BW: 32 channels per
/// panel, AVX2: 16, vpdpwssd with AVX-VNNI), at 128 bits (8 channels) pmaddwd on x64 and
/// smull/smull2/addp on arm64. arm64 with the dot-product extension takes int8 quads of k instead
/// (SDOT, 8 channels), and so do row-major rows on x64 with AVX512-VNNI, as uint8 (x + 128) for vpdpbusd (32 channels;
/// the implicit-GEMM convolution keeps its int16 pairs there). Accumulators start from the folded bias (bias − zx·Σw, less
/// 128·Σw for the uint8 rows); the requantization is the
/// reference one (f32, <see cref="Requantize.Layer"/>), so the result is bit-exact: in the registers as the AVX-512
/// kernels store (<see cref="RequantRows"/>), else over the int32 sums in memory (<see cref="RequantTable.Block"/>).
/// </summary>
internal static unsafe partial class Int8Gemm
{
    private static readonly int VectorLanes = Avx512BW.IsSupported ? 16 : Avx2.IsSupported ? 8 : 4;

    /// <summary>arm64 with the dot-product extension (SDOT): int8 rows, four k's per lane.</summary>
    public static bool DotProduct { get; } = VectorLanes == 4 && Dp.IsSupported;

    /// <summary>Output channels per packed panel: two vectors of int32 lanes.</summary>
    public static int Lanes { get; } = 2 * VectorLanes;

    /// <summary>
    /// x64 with AVX512-VNNI mapped (<see cref="Int8Vnni.Available"/>): row-major rows are uint8 quads of k, the int8
    /// activations + <see cref="RowOffset"/>, for vpdpbusd (uint8 × int8), and their weights int8 quads.
    /// </summary>
    public static bool UnsignedQuads { get; } = VectorLanes == 16 && Int8Vnni.Available;

    /// <summary>What <see cref="PrepareRows"/> adds to every activation (128 for <see cref="UnsignedQuads"/>): the bias of a row-major GEMM is less this · Σw.</summary>
    public static int RowOffset => UnsignedQuads ? 128 : 0;

    /// <summary>Row-major rows (<see cref="PrepareRows"/>) as int8 or uint8 quads of k rather than int16 pairs.</summary>
    private static bool RowQuads => DotProduct || UnsignedQuads;

    /// <summary>The int16 pair kernels (every machine but arm64 with SDOT).</summary>
    private static bool Pairs => !DotProduct;

    public static string Isa => VectorLanes switch
    {
        16 => Int8Vnni.Available ? "avx512-vnni vpdpbusd/vpdpwssd" : "avx512bw vpmaddwd",
        8 => AvxVnni.IsSupported ? "avx2 vpdpwssd (avx-vnni)" : "avx2 vpmaddwd",
        _ => DotProduct ? "arm64 sdot" : AdvSimd.Arm64.IsSupported ? "arm64 smull/addp pairs" : "vector128 pmaddwd",
    };

    public static int Panels(int n) => (n + Lanes - 1) / Lanes;

    /// <summary>Bytes per element of the prepared activation rows: 1 (int8 for SDOT, uint8 for vpdpbusd) or 2 (int16).</summary>
    public static int RowElementSize => RowQuads ? 1 : 2;

    /// <summary>Row length (elements) of the prepared activations for depth k: even for pairs, a multiple of 4 for quads.</summary>
    public static int RowLength(int k) => RowQuads ? (k + 3) / 4 * 4 : (k + 1) / 2 * 2;

    /// <summary>Packs int8 weights [k, n] for this machine's kernel.</summary>
    public static short[] Pack(ReadOnlySpan<sbyte> w, int k, int n) => Pack(w, k, n, null);

    /// <summary>
    /// Packs int8 weights [k, n]: for row-major rows (<see cref="PrepareRows"/>) without <paramref name="kMap"/>; with it
    /// (pair kernels only: the implicit-GEMM convolution) row i of the packed matrix takes weight row kMap[i], or zeros
    /// where it is −1.
    /// </summary>
    public static short[] Pack(ReadOnlySpan<sbyte> w, int k, int n, int[]? kMap)
    {
        int nr = Lanes, panels = Panels(n);
        if (kMap != null)
        {
            if (!Pairs)
            {
                throw new PlatformNotSupportedException("a mapped packing is for the int16 pair kernels");
            }

            k = kMap.Length;
        }

        if (RowQuads && kMap == null)
        {
            // [panel][k/4][NR channels][4 k's] int8, stored in a short[] buffer (two int8 per element).
            int quads = (k + 3) / 4;
            var dot = GC.AllocateArray<short>((panels * quads * nr * 4 / 2) + 8, pinned: true);
            fixed (short* d = dot)
            {
                sbyte* b = (sbyte*)d;
                for (int p = 0; p < panels; p++)
                {
                    for (int i = 0; i < k; i++)
                    {
                        for (int j = 0; j < nr; j++)
                        {
                            int col = (p * nr) + j;
                            b[((((long)p * quads) + (i / 4)) * nr * 4) + (j * 4) + (i % 4)] = col < n ? w[(i * n) + col] : (sbyte)0;
                        }
                    }
                }
            }

            return dot;
        }

        // [panel][k/2][NR channels][2 k's] int16.
        int pairs = (k + 1) / 2;
        var packed = GC.AllocateArray<short>(panels * pairs * nr * 2, pinned: true);
        for (int p = 0; p < panels; p++)
        {
            for (int i = 0; i < k; i++)
            {
                for (int j = 0; j < nr; j++)
                {
                    int col = (p * nr) + j;
                    int row = kMap == null ? i : kMap[i];
                    packed[((((long)p * pairs) + (i / 2)) * nr * 2) + (j * 2) + (i % 2)] = col < n && row >= 0 ? w[(row * n) + col] : (short)0;
                }
            }
        }

        return packed;
    }

    /// <summary>dst[i] = src[i] widened from int8 to int16: 32 at a time, then 16, then one by one.</summary>
    public static void Widen(sbyte* src, short* dst, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
            {
                var v = Vector256.Load(src + i);
                Vector256.Store(Vector256.WidenLower(v), dst + i);
                Vector256.Store(Vector256.WidenUpper(v), dst + i + 16);
            }
        }

        for (; i + 16 <= n; i += 16)
        {
            var v = Vector128.Load(src + i);
            Vector128.Store(Vector128.WidenLower(v), dst + i);
            Vector128.Store(Vector128.WidenUpper(v), dst + i + 8);
        }

        for (; i < n; i++)
        {
            dst[i] = src[i];
        }
    }

    /// <summary>dst[i] = src[i] + 128 as uint8 (the sign bit flipped): 64 at a time, then 16, then one by one.</summary>
    public static void Offset128(sbyte* src, byte* dst, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var flip = Vector512.Create((byte)0x80);
            for (; i + 64 <= n; i += 64)
            {
                Vector512.Store(Vector512.Load((byte*)src + i) ^ flip, dst + i);
            }
        }

        for (; i + 16 <= n; i += 16)
        {
            Vector128.Store(Vector128.Load((byte*)src + i) ^ Vector128.Create((byte)0x80), dst + i);
        }

        for (; i < n; i++)
        {
            dst[i] = (byte)(src[i] ^ 0x80);
        }
    }

    /// <summary>
    /// Prepares int8 rows [rows, k] for <see cref="RunRequantized(void*, int, int, int, short*, int*, int*, RequantTable, int, int, int, sbyte*, int, int)"/>: int16 rows (pairs), padded int8 rows
    /// (SDOT) or padded uint8 rows, x + 128 (<see cref="UnsignedQuads"/>), of <see cref="RowLength"/> elements. The
    /// padding meets zero weights.
    /// </summary>
    public static void PrepareRows(sbyte* x, int rows, int k, void* dst)
    {
        int ld = RowLength(k);
        if (ld == k)
        {
            // No padding: the rows are one run in both layouts (MobileNetV2 α 0.35's 8- and 16-channel inputs would
            // otherwise widen a row at a time, each shorter than a vector).
            long all = (long)rows * k;
            if (UnsignedQuads)
            {
                Offset128(x, (byte*)dst, all);
            }
            else if (DotProduct)
            {
                Buffer.MemoryCopy(x, dst, all, all);
            }
            else
            {
                Widen(x, (short*)dst, checked((int)all));
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            if (RowQuads)
            {
                sbyte* d = (sbyte*)dst + ((long)r * ld);
                if (UnsignedQuads)
                {
                    Offset128(x + ((long)r * k), (byte*)d, k);
                }
                else
                {
                    Buffer.MemoryCopy(x + ((long)r * k), d, k, k);
                }

                for (int j = k; j < ld; j++)
                {
                    d[j] = 0;
                }
            }
            else
            {
                short* d = (short*)dst + ((long)r * ld);
                Widen(x + ((long)r * k), d, k);
                for (int j = k; j < ld; j++)
                {
                    d[j] = 0;
                }
            }
        }
    }

    /// <summary>
    /// Whether <see cref="RunRequantized{TA}"/> requantizes in the micro-kernel (AVX-512: the 32 channels of a row are two
    /// registers, requantized as they are stored); elsewhere the int32 sums go through memory to the table's block pass.
    /// </summary>
    public static bool RequantizesInKernel => VectorLanes == 16;

    /// <summary>
    /// y = requantized (bias0 + x·w) for output panels [p0, p1), x: [rows, lda] rows from <see cref="PrepareRows"/>, bias0
    /// the folded bias less <see cref="RowOffset"/>·Σw (packed without a k map); acc: [rows, N] int32 scratch where the sums go through memory (not with AVX-512), y: [rows, N] int8, N = table.N.
    /// </summary>
    public static void RunRequantized(void* xv, int lda, int rows, int k, short* packed, int* bias0, int* acc, RequantTable table, int zeroPoint, int lo, int hi, sbyte* y, int p0, int p1)
    {
        int nr = Lanes, quads = (k + 3) / 4, n = table.N;
        if (UnsignedQuads)
        {
            // AVX512-VNNI: uint8 quads, requantized in the kernel; bias0 already less 128·Σw.
            for (int p = p0; p < p1; p++)
            {
                Int8Vnni.QuadPanel((byte*)xv, lda, rows, quads, (sbyte*)packed + ((long)p * quads * nr * 4), bias0 + (p * nr), table.Scales + (p * nr), y + (p * nr), n, Math.Min(nr, n - (p * nr)), zeroPoint, lo, hi);
            }

            return;
        }

        if (Pairs)
        {
            RunRequantized(new PairRows((short*)xv, lda), rows, (k + 1) / 2, packed, bias0, acc, table, zeroPoint, lo, hi, y, p0, p1);
            return;
        }

        // arm64 SDOT: int8 quads of k, acc[r, c] = bias0[c] + Σ_i x[r, i]·w[i, c], then the table's block pass.
        for (int p = p0; p < p1; p++)
        {
            int cols = Math.Min(nr, n - (p * nr));
            PanelDot(new QuadRows((sbyte*)xv, lda), rows, quads, (sbyte*)packed + ((long)p * quads * nr * 4), bias0 + (p * nr), acc + (p * nr), n, cols);
        }

        table.Block(acc, rows, p0 * nr, Math.Min(n, p1 * nr), zeroPoint, lo, y, hi);
    }

    /// <summary>
    /// The int16 pair kernels with A read through a row source (pair p of row r is the two int16 at Row(r) + Col(p): an
    /// implicit-GEMM convolution over a padded, widened image): y = requantized (bias0 + x·w) for output panels [p0, p1),
    /// in the registers when <see cref="RequantizesInKernel"/>, else through acc [rows, N] int32 and the table's block
    /// pass. y: [rows, N] int8, N = table.N.
    /// </summary>
    public static void RunRequantized<TA>(TA x, int rows, int pairs, short* packed, int* bias0, int* acc, RequantTable table, int zeroPoint, int lo, int hi, sbyte* y, int p0, int p1)
        where TA : struct, IRowSource<short>
    {
        int nr = Lanes, n = table.N;
        for (int p = p0; p < p1; p++)
        {
            int cols = Math.Min(nr, n - (p * nr));
            short* w = packed + ((long)p * pairs * nr * 2);
            switch (VectorLanes)
            {
                case 16:
                    // AVX512-VNNI: every panel, its quarter one (≤ 8 channels) over row-major pairs as PanelQuarter512.
                    if (Int8Vnni.Available && VnniRows(x, out short* xb, out int lda, out int* rowOffsets, out int* colOffsets))
                    {
                        Int8Vnni.Panel(xb, lda, rowOffsets, colOffsets, rows, pairs, w, bias0 + (p * nr), table.Scales + (p * nr), y + (p * nr), n, cols, zeroPoint, lo, hi);
                        break;
                    }

                    var sink = new RequantRows(y + (p * nr), n, table.Scales + (p * nr), zeroPoint, lo, hi);
                    if (cols <= 8 && typeof(TA) == typeof(PairRows))
                    {
                        PanelQuarter512(x, rows, pairs, w, bias0 + (p * nr), sink, cols);
                    }
                    else if (cols <= 16)
                    {
                        PanelHalf512(x, rows, pairs, w, bias0 + (p * nr), sink, cols);
                    }
                    else
                    {
                        Panel512(x, rows, pairs, w, bias0 + (p * nr), sink, cols);
                    }

                    break;
                case 8: Panel256(x, rows, pairs, w, bias0 + (p * nr), acc + (p * nr), n, cols); break;
                default:
                    if (!Pairs)
                    {
                        throw new PlatformNotSupportedException("arm64 with SDOT runs the int8 quad kernel, not the pair kernels");
                    }

                    Panel128(x, rows, pairs, w, bias0 + (p * nr), acc + (p * nr), n, cols);
                    break;
            }
        }

        if (!RequantizesInKernel)
        {
            table.Block(acc, rows, p0 * nr, Math.Min(n, p1 * nr), zeroPoint, lo, y, hi);
        }
    }

    /// <summary>The row source as <see cref="Int8Vnni.Panel"/> takes it: a base, and a row stride or the two offset tables.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool VnniRows<TA>(TA x, out short* xb, out int lda, out int* rowOffsets, out int* colOffsets)
        where TA : struct, IRowSource<short>
    {
        xb = null;
        lda = 0;
        rowOffsets = null;
        colOffsets = null;
        if (typeof(TA) == typeof(PairRows))
        {
            var strided = Unsafe.As<TA, PairRows>(ref x);
            xb = strided.Base;
            lda = strided.Lda;
            return true;
        }

        if (typeof(TA) == typeof(TableRows<short>))
        {
            var table = Unsafe.As<TA, TableRows<short>>(ref x);
            xb = table.Image;
            rowOffsets = table.RowOffsets;
            colOffsets = table.ColOffsets;
            return true;
        }

        return false;
    }

    /// <summary>Whether the int16 pair kernels are this machine's int8 kernels (all but arm64 with SDOT).</summary>
    public static bool PairKernels => Pairs;

    /// <summary>Row-major int16 rows: pair p of row r starts at x + r·lda + 2p.</summary>
    private readonly struct PairRows(short* x, int lda) : IRowSource<short>
    {
        public short* Base => x;

        public int Lda => lda;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public short* Row(int r) => x + ((long)r * lda);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Col(int p) => 2 * p;
    }

    /// <summary>Row-major int8 rows for SDOT: quad q of row r starts at x + r·lda + 4q.</summary>
    private readonly struct QuadRows(sbyte* x, int lda) : IRowSource<sbyte>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public sbyte* Row(int r) => x + ((long)r * lda);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Col(int q) => 4 * q;
    }

    /// <summary>The 16 lanes a[0], b[0], a[1], b[1], …, a[7], b[7] (the quarter kernel's two pairs of k per channel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Interleave8(Vector256<int> a, Vector256<int> b) =>
        Avx512F.PermuteVar16x32x2(a.ToVector512Unsafe(), Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), b.ToVector512Unsafe());

    /// <summary>acc + the pairwise int16 products of w and a, summed per int32 lane: one vpdpwssd with AVX-VNNI, else vpmaddwd + vpaddd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Madd(Vector256<int> acc, Vector256<short> w, Vector256<short> a) =>
        AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(acc, w, a) : acc + Avx2.MultiplyAddAdjacent(w, a);

    /// <summary>
    /// acc + the pairwise int16 products of w and a, summed per int32 lane (vpmaddwd's meaning) at 128 bits: pmaddwd on
    /// x64; on arm64 smull and smull2 (the four low and four high products) and addp (adjacent sums, in lane order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Madd128(Vector128<int> acc, Vector128<short> w, Vector128<short> a)
    {
        if (Sse2.IsSupported)
        {
            return acc + Sse2.MultiplyAddAdjacent(w, a);
        }

        if (AdvSimd.Arm64.IsSupported)
        {
            var lo = AdvSimd.MultiplyWideningLower(w.GetLower(), a.GetLower());
            var hi = AdvSimd.MultiplyWideningUpper(w, a);
            return acc + AdvSimd.Arm64.AddPairwise(lo, hi);
        }

        throw new PlatformNotSupportedException("the int8 pair kernels need SSE2 (x64) or AdvSimd (arm64); run the reference kernels");
    }

    // The dot kernels Panel512, Panel256, Panel128 (int16 pairs) and PanelDot (arm64 SDOT, int8 quads) are in
    // Int8Gemm.Panels.g.cs, written by scripts/gen-kernels.py from one template.
}
