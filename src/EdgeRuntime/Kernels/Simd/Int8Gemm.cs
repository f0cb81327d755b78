using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Runtime.Kernels.Simd;

/// <summary>
/// Int8 GEMM against weights packed once at Prepare. Activations arrive widened to int16 rows of
/// even length (im2col or a row copy does that), so a pair of k's is one 32-bit broadcast. On x64
/// the weights are int16 pairs along K ([panels][K/2][NR][2], NR = two vectors of int32 lanes)
/// and vpmaddwd multiplies and adds both k's per lane (AVX-512BW: 32 channels per panel, AVX2: 16);
/// elsewhere (arm64) a 128-bit widening multiply-add over 4 channels. Accumulators start from the
/// folded bias (bias − zx·Σw); the integer requantization afterwards is the reference one, so the
/// result is bit-exact.
/// </summary>
public static unsafe partial class Int8Gemm
{
    private static readonly int VectorLanes = Avx512BW.IsSupported ? 16 : Avx2.IsSupported ? 8 : 4;

    /// <summary>Output channels per packed panel.</summary>
    public static int Lanes { get; } = VectorLanes >= 8 ? 2 * VectorLanes : 4;

    private static bool Pairs => VectorLanes >= 8;

    public static string Isa => VectorLanes switch { 16 => "avx512bw vpmaddwd", 8 => "avx2 vpmaddwd", _ => "vector128 widening" };

    public static int Panels(int n) => (n + Lanes - 1) / Lanes;

    /// <summary>Row length (in int16) of the widened activations for depth k: k rounded up to even.</summary>
    public static int RowLength(int k) => (k + 1) / 2 * 2;

    /// <summary>Packs int8 weights [k, n] for this machine's kernel.</summary>
    public static short[] Pack(ReadOnlySpan<sbyte> w, int k, int n)
    {
        int nr = Lanes, panels = Panels(n);
        if (Pairs)
        {
            int pairs = (k + 1) / 2;
            var packed = GC.AllocateArray<short>(panels * pairs * nr * 2, pinned: true);
            for (int p = 0; p < panels; p++)
            {
                for (int i = 0; i < k; i++)
                {
                    for (int j = 0; j < nr; j++)
                    {
                        int col = (p * nr) + j;
                        packed[((((long)p * pairs) + (i / 2)) * nr * 2) + (j * 2) + (i % 2)] = col < n ? w[(i * n) + col] : (short)0;
                    }
                }
            }

            return packed;
        }

        var plain = GC.AllocateArray<short>(panels * k * nr, pinned: true);
        for (int p = 0; p < panels; p++)
        {
            for (int i = 0; i < k; i++)
            {
                for (int j = 0; j < nr; j++)
                {
                    int col = (p * nr) + j;
                    plain[(((long)p * k) + i) * nr + j] = col < n ? w[(i * n) + col] : (short)0;
                }
            }
        }

        return plain;
    }

    /// <summary>dst[i] = src[i] widened from int8 to int16, 32 at a time.</summary>
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
        else
        {
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector128.Load(src + i);
                Vector128.Store(Vector128.WidenLower(v), dst + i);
                Vector128.Store(Vector128.WidenUpper(v), dst + i + 8);
            }
        }

        for (; i < n; i++)
        {
            dst[i] = src[i];
        }
    }

    /// <summary>Widens int8 rows [rows, k] to int16 rows of <see cref="RowLength"/> (the odd tail padded with <paramref name="pad"/>).</summary>
    public static void WidenRows(sbyte* x, int rows, int k, short* dst, short pad)
    {
        int ld = RowLength(k);
        for (int r = 0; r < rows; r++)
        {
            Widen(x + ((long)r * k), dst + ((long)r * ld), k);
            if (ld > k)
            {
                dst[((long)r * ld) + k] = pad;
            }
        }
    }

    /// <summary>acc[r, c] = bias0[c] + Σ_i x[r, i]·w[i, c] for output panels [p0, p1). x: int16 rows of length lda (even).</summary>
    public static void Run(short* x, int lda, int rows, int k, short* packed, int* bias0, int n, int* acc, int ldo, int p0, int p1)
    {
        int nr = Lanes;
        int pairs = (k + 1) / 2;
        for (int p = p0; p < p1; p++)
        {
            int cols = Math.Min(nr, n - (p * nr));
            switch (VectorLanes)
            {
                case 16: Panel512(x, lda, rows, pairs, packed + ((long)p * pairs * nr * 2), bias0 + (p * nr), acc + (p * nr), ldo, cols); break;
                case 8: Panel256(x, lda, rows, pairs, packed + ((long)p * pairs * nr * 2), bias0 + (p * nr), acc + (p * nr), ldo, cols); break;
                default: Panel128(x, lda, rows, k, packed + ((long)p * k * nr), bias0 + (p * nr), acc + (p * nr), ldo, cols); break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel128(short* x, int lda, int rows, int k, short* w, int* bias0, int* accOut, int ldo, int nr)
    {
        var b = Vector128.Load(bias0);
        for (int r = 0; r < rows; r++)
        {
            var s = b;
            short* xr = x + ((long)r * lda);
            short* wp = w;
            for (int i = 0; i < k; i++, wp += 4)
            {
                var wv = Vector128.WidenLower(Vector128.LoadUnsafe(ref *wp));
                s += wv * Vector128.Create((int)xr[i]);
            }

            int* dst = accOut + ((long)r * ldo);
            for (int j = 0; j < nr; j++)
            {
                dst[j] = s[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel512(short* x, int lda, int rows, int pairs, short* w, int* bias0, int* accOut, int ldo, int nr)
    {
        // 4 rows × 32 channels (two vectors) per step; vpmaddwd multiplies one pair of k's per lane.
        var bias0v = Vector512.Load(bias0);
        var bias1v = Vector512.Load(bias0 + 16);
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            Vector512<int> s00 = bias0v, s01 = bias1v, s10 = bias0v, s11 = bias1v, s20 = bias0v, s21 = bias1v, s30 = bias0v, s31 = bias1v;
            int* x0 = (int*)(x + ((long)r * lda)), x1 = (int*)(x + ((long)(r + 1) * lda)), x2 = (int*)(x + ((long)(r + 2) * lda)), x3 = (int*)(x + ((long)(r + 3) * lda));
            short* wp = w;
            for (int p = 0; p < pairs; p++, wp += 64)
            {
                var w0 = Vector512.Load(wp);
                var w1 = Vector512.Load(wp + 32);
                var a = Vector512.Create(x0[p]).AsInt16(); s00 += Avx512BW.MultiplyAddAdjacent(w0, a); s01 += Avx512BW.MultiplyAddAdjacent(w1, a);
                a = Vector512.Create(x1[p]).AsInt16(); s10 += Avx512BW.MultiplyAddAdjacent(w0, a); s11 += Avx512BW.MultiplyAddAdjacent(w1, a);
                a = Vector512.Create(x2[p]).AsInt16(); s20 += Avx512BW.MultiplyAddAdjacent(w0, a); s21 += Avx512BW.MultiplyAddAdjacent(w1, a);
                a = Vector512.Create(x3[p]).AsInt16(); s30 += Avx512BW.MultiplyAddAdjacent(w0, a); s31 += Avx512BW.MultiplyAddAdjacent(w1, a);
            }

            Out512(accOut + ((long)r * ldo), s00, s01, nr);
            Out512(accOut + ((long)(r + 1) * ldo), s10, s11, nr);
            Out512(accOut + ((long)(r + 2) * ldo), s20, s21, nr);
            Out512(accOut + ((long)(r + 3) * ldo), s30, s31, nr);
        }

        for (; r < rows; r++)
        {
            Vector512<int> s00 = bias0v, s01 = bias1v;
            int* x0 = (int*)(x + ((long)r * lda));
            short* wp = w;
            for (int p = 0; p < pairs; p++, wp += 64)
            {
                var a = Vector512.Create(x0[p]).AsInt16();
                s00 += Avx512BW.MultiplyAddAdjacent(Vector512.Load(wp), a);
                s01 += Avx512BW.MultiplyAddAdjacent(Vector512.Load(wp + 32), a);
            }

            Out512(accOut + ((long)r * ldo), s00, s01, nr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Out512(int* dst, Vector512<int> v0, Vector512<int> v1, int nr)
    {
        if (nr == 32)
        {
            Vector512.Store(v0, dst);
            Vector512.Store(v1, dst + 16);
            return;
        }

        int* tmp = stackalloc int[32];
        Vector512.Store(v0, tmp);
        Vector512.Store(v1, tmp + 16);
        for (int j = 0; j < nr; j++)
        {
            dst[j] = tmp[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel256(short* x, int lda, int rows, int pairs, short* w, int* bias0, int* accOut, int ldo, int nr)
    {
        // 4 rows × 16 channels (two vectors) per step; vpmaddwd multiplies one pair of k's per lane.
        var bias0v = Vector256.Load(bias0);
        var bias1v = Vector256.Load(bias0 + 8);
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            Vector256<int> s00 = bias0v, s01 = bias1v, s10 = bias0v, s11 = bias1v, s20 = bias0v, s21 = bias1v, s30 = bias0v, s31 = bias1v;
            int* x0 = (int*)(x + ((long)r * lda)), x1 = (int*)(x + ((long)(r + 1) * lda)), x2 = (int*)(x + ((long)(r + 2) * lda)), x3 = (int*)(x + ((long)(r + 3) * lda));
            short* wp = w;
            for (int p = 0; p < pairs; p++, wp += 32)
            {
                var w0 = Vector256.Load(wp);
                var w1 = Vector256.Load(wp + 16);
                var a = Vector256.Create(x0[p]).AsInt16(); s00 += Avx2.MultiplyAddAdjacent(w0, a); s01 += Avx2.MultiplyAddAdjacent(w1, a);
                a = Vector256.Create(x1[p]).AsInt16(); s10 += Avx2.MultiplyAddAdjacent(w0, a); s11 += Avx2.MultiplyAddAdjacent(w1, a);
                a = Vector256.Create(x2[p]).AsInt16(); s20 += Avx2.MultiplyAddAdjacent(w0, a); s21 += Avx2.MultiplyAddAdjacent(w1, a);
                a = Vector256.Create(x3[p]).AsInt16(); s30 += Avx2.MultiplyAddAdjacent(w0, a); s31 += Avx2.MultiplyAddAdjacent(w1, a);
            }

            Out256(accOut + ((long)r * ldo), s00, s01, nr);
            Out256(accOut + ((long)(r + 1) * ldo), s10, s11, nr);
            Out256(accOut + ((long)(r + 2) * ldo), s20, s21, nr);
            Out256(accOut + ((long)(r + 3) * ldo), s30, s31, nr);
        }

        for (; r < rows; r++)
        {
            Vector256<int> s00 = bias0v, s01 = bias1v;
            int* x0 = (int*)(x + ((long)r * lda));
            short* wp = w;
            for (int p = 0; p < pairs; p++, wp += 32)
            {
                var a = Vector256.Create(x0[p]).AsInt16();
                s00 += Avx2.MultiplyAddAdjacent(Vector256.Load(wp), a);
                s01 += Avx2.MultiplyAddAdjacent(Vector256.Load(wp + 16), a);
            }

            Out256(accOut + ((long)r * ldo), s00, s01, nr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Out256(int* dst, Vector256<int> v0, Vector256<int> v1, int nr)
    {
        if (nr == 16)
        {
            Vector256.Store(v0, dst);
            Vector256.Store(v1, dst + 8);
            return;
        }

        int* tmp = stackalloc int[16];
        Vector256.Store(v0, tmp);
        Vector256.Store(v1, tmp + 8);
        for (int j = 0; j < nr; j++)
        {
            dst[j] = tmp[j];
        }
    }
}
