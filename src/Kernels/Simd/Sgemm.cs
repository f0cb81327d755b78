using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Blocked, packed single-precision GEMM: C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C.
/// Row-major with leading dimensions. B is packed into NR-wide column panels and A into MR-tall
/// row panels per (KC × NC) / (MC × KC) block, then a register-blocked micro-kernel
/// (8×32 on AVX-512, 6×16 on AVX2, 4×8 on 128-bit SIMD) runs over the packed panels. Two
/// threads split the work when it pays. Packing buffers are per-thread and reused: no
/// allocation per call once warm.
/// </summary>
public static unsafe class Gemm
{
    private const int KC = 256;
    private const int MC = 96;
    private const int NC = 1024;

    private static readonly int MR;
    private static readonly int NR;
    private static readonly KernelKind Kind;

    [ThreadStatic] private static float[]? t_packA;
    [ThreadStatic] private static float[]? t_tile;
    [ThreadStatic] private static float[]? t_packB;

    private enum KernelKind { V512, V256, V128 }

    static Gemm()
    {
        if (Vector512.IsHardwareAccelerated)
        {
            (Kind, MR, NR) = (KernelKind.V512, 8, 32);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            (Kind, MR, NR) = (KernelKind.V256, 6, 16);
        }
        else
        {
            (Kind, MR, NR) = (KernelKind.V128, 4, 8);
        }
    }

    /// <summary>Which micro-kernel this process uses, e.g. "avx512 8x32".</summary>
    public static string KernelName => Kind switch
    {
        KernelKind.V512 => $"vector512 {MR}x{NR}",
        KernelKind.V256 => $"vector256 {MR}x{NR}",
        _ => $"vector128 {MR}x{NR}",
    };

    /// <summary>Maximum worker threads (default: all cores).</summary>
    public static int MaxThreads { get; set; } = Environment.ProcessorCount;

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        CheckSizes(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (k == 0 || alpha == 0)
        {
            ScaleC(c, m, n, ldc, beta);
            return;
        }

        if (m == 1)
        {
            Gemv(transA, transB, n, k, alpha, a, lda, b, ldb, beta, c);
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            Run(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    /// <summary>
    /// One row of C (batch-1 inference, e.g. a greedy action): c[1,N] = alpha·a[1,K]·op(B) + beta·c
    /// as K row-axpys over B (or N dot products with Bᵀ's rows), without packing B, which would cost
    /// more than the product itself.
    /// </summary>
    private static void Gemv(bool ta, bool tb, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c)
    {
        var row = c[..n];
        if (tb)
        {
            // c[j] = alpha·Σ_k a[k]·B[j, k] + beta·c[j]; with transA, a[k] sits at a[k·lda].
            ReadOnlySpan<float> av = ta ? GatherColumn(a, lda, k) : a[..k];
            for (int j = 0; j < n; j++)
            {
                float dot = alpha * System.Numerics.Tensors.TensorPrimitives.Dot(av, b.Slice(j * ldb, k));
                row[j] = beta == 0 ? dot : dot + (beta * row[j]);
            }

            return;
        }

        if (beta == 0)
        {
            row.Clear();
        }
        else if (beta != 1)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }

        for (int kk = 0; kk < k; kk++)
        {
            float ak = alpha * (ta ? a[kk * lda] : a[kk]);
            if (ak != 0)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(b.Slice(kk * ldb, n), ak, row, row);   // c += a[k]·B[k, :]
            }
        }
    }

    private static float[] GatherColumn(ReadOnlySpan<float> a, int lda, int k)
    {
        var v = new float[k];
        for (int i = 0; i < k; i++)
        {
            v[i] = a[i * lda];
        }

        return v;
    }

    private static void CheckSizes(bool ta, bool tb, int m, int n, int k, int aLen, int lda, int bLen, int ldb, int cLen, int ldc)
    {
        // A is [m,k] (or [k,m] when transposed), B is [k,n] (or [n,k]), all row-major.
        long aNeed = ta ? ((long)(k - 1) * lda) + m : ((long)(m - 1) * lda) + k;
        long bNeed = tb ? ((long)(n - 1) * ldb) + k : ((long)(k - 1) * ldb) + n;
        long cNeed = ((long)(m - 1) * ldc) + n;
        if ((k > 0 && aLen < aNeed) || (k > 0 && bLen < bNeed) || cLen < cNeed || ldc < n ||
            lda < (ta ? m : k) || ldb < (tb ? k : n))
        {
            throw new ArgumentException($"GEMM {(ta ? "T" : "N")}{(tb ? "T" : "N")} m={m} n={n} k={k}: buffers too small (A {aLen}/{aNeed}, B {bLen}/{bNeed}, C {cLen}/{cNeed}) or leading dimensions too small");
        }
    }

    private static void ScaleC(Span<float> c, int m, int n, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0)
            {
                row.Clear();
            }
            else if (beta != 1)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    /// <summary>
    /// Splits C into one contiguous block of rows (or of columns, when C is wide and short) per
    /// thread; each thread runs the serial blocked GEMM on its block with its own packing buffers,
    /// so there is one fork/join per call and packing is parallel too.
    /// </summary>
    private static void Run(bool ta, bool tb, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        double flops = 2.0 * m * n * k;
        int threads = flops < 2e6 ? 1 : Math.Max(1, MaxThreads);
        if (threads > 1 && m < 4 * MC && n < 4 * NR && k >= 8 * KC)
        {
            SplitK(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
        }
        else if (threads > 1 && m >= n && m >= 2 * MR)
        {
            int chunks = Math.Min(threads, (m + MR - 1) / MR);
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int i0 = Split(m, chunks, t, MR), i1 = Split(m, chunks, t + 1, MR);
                float* at = ta ? a + i0 : a + ((long)i0 * lda);
                Serial(ta, tb, i1 - i0, n, k, alpha, at, lda, b, ldb, beta, c + ((long)i0 * ldc), ldc);
            });
        }
        else if (threads > 1 && n >= 2 * NR)
        {
            int chunks = Math.Min(threads, (n + NR - 1) / NR);
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int j0 = Split(n, chunks, t, NR), j1 = Split(n, chunks, t + 1, NR);
                float* bt = tb ? b + ((long)j0 * ldb) : b + j0;
                Serial(ta, tb, m, j1 - j0, k, alpha, a, lda, bt, ldb, beta, c + j0, ldc);
            });
        }
        else
        {
            Serial(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    /// <summary>
    /// Small C, long K (a weight gradient summed over many positions): each thread multiplies one
    /// K range into its own partial C, then the partials are added.
    /// </summary>
    private static void SplitK(bool ta, bool tb, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        int chunks = Math.Min(threads, (k + KC - 1) / KC);
        float[] partial = System.Buffers.ArrayPool<float>.Shared.Rent((chunks - 1) * m * n);
        try
        {
            fixed (float* pp = partial)
            {
                float* parts = pp;
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    int k0 = Split(k, chunks, t, KC), k1 = Split(k, chunks, t + 1, KC);
                    float* at = ta ? a + ((long)k0 * lda) : a + k0;
                    float* bt = tb ? b + k0 : b + ((long)k0 * ldb);
                    if (t == 0)
                    {
                        Serial(ta, tb, m, n, k1 - k0, alpha, at, lda, bt, ldb, beta, c, ldc);
                    }
                    else
                    {
                        Serial(ta, tb, m, n, k1 - k0, alpha, at, lda, bt, ldb, 0f, parts + ((long)(t - 1) * m * n), n);
                    }
                });
                for (int t = 1; t < chunks; t++)
                {
                    float* src = parts + ((long)(t - 1) * m * n);
                    for (int i = 0; i < m; i++)
                    {
                        var row = new Span<float>(c + ((long)i * ldc), n);
                        System.Numerics.Tensors.TensorPrimitives.Add(row, new ReadOnlySpan<float>(src + ((long)i * n), n), row);
                    }
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(partial);
        }
    }

    /// <summary>Start of chunk <paramref name="t"/> of <paramref name="chunks"/> over [0, n), aligned to <paramref name="align"/>.</summary>
    private static int Split(int n, int chunks, int t, int align)
    {
        if (t >= chunks)
        {
            return n;
        }

        int units = (n + align - 1) / align;
        return Math.Min(n, (int)((long)units * t / chunks) * align);
    }

    /// <summary>The single-threaded blocked GEMM: NC column blocks × KC depth blocks × MC row blocks.</summary>
    private static void Serial(bool ta, bool tb, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        t_packB ??= GC.AllocateUninitializedArray<float>(((NC + NR - 1) / NR) * NR * KC, pinned: true);
        fixed (float* packB = t_packB)
        {
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                int panels = (nc + NR - 1) / NR;
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    float betaBlock = pc == 0 ? beta : 1f;
                    PackB(tb, b, ldb, pc, jc, kc, nc, packB);
                    for (int ic = 0; ic < m; ic += MC)
                    {
                        MacroBlock(ta, a, lda, ic, Math.Min(MC, m - ic), pc, kc, packB, jc, nc, 0, panels, alpha, betaBlock, c, ldc);
                    }
                }
            }
        }
    }

    /// <summary>Packs A[ic.., pc..] (mc × kc) into MR-tall panels and runs the micro-kernel over B panels [p0, p1).</summary>
    private static void MacroBlock(bool ta, float* a, int lda, int ic, int mc, int pc, int kc, float* packB, int jc, int nc, int p0, int p1,
        float alpha, float beta, float* c, int ldc)
    {
        int rowPanels = (mc + MR - 1) / MR;
        t_packA ??= GC.AllocateUninitializedArray<float>(((MC + MR - 1) / MR) * MR * KC, pinned: true);
        t_tile ??= GC.AllocateUninitializedArray<float>(8 * 32, pinned: true);
        fixed (float* packA = t_packA)
        fixed (float* tile = t_tile)
        {
            PackA(ta, a, lda, ic, pc, mc, kc, packA);
            for (int jp = p0; jp < p1; jp++)
            {
                int j = jp * NR;
                int nr = Math.Min(NR, nc - j);
                float* bp = packB + ((long)jp * NR * kc);
                for (int ip = 0; ip < rowPanels; ip++)
                {
                    int i = ip * MR;
                    int mr = Math.Min(MR, mc - i);
                    float* ap = packA + ((long)ip * MR * kc);
                    float* cp = c + ((long)(ic + i) * ldc) + jc + j;
                    switch (Kind)
                    {
                        case KernelKind.V512: Kernel8x32(kc, ap, bp, cp, ldc, mr, nr, alpha, beta, tile); break;
                        case KernelKind.V256: Kernel6x16(kc, ap, bp, cp, ldc, mr, nr, alpha, beta, tile); break;
                        default: Kernel4x8(kc, ap, bp, cp, ldc, mr, nr, alpha, beta, tile); break;
                    }
                }
            }
        }
    }

    /// <summary>packB[panel][k][NR] ← op(B)[pc+k, jc+panel·NR+j], zero-padded past n.</summary>
    private static void PackB(bool tb, float* b, int ldb, int pc, int jc, int kc, int nc, float* dst)
    {
        int panels = (nc + NR - 1) / NR;
        for (int p = 0; p < panels; p++)
        {
            int j0 = jc + (p * NR);
            int w = Math.Min(NR, nc - (p * NR));
            float* d = dst + ((long)p * NR * kc);
            if (!tb)
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    float* src = b + ((long)(pc + kk) * ldb) + j0;
                    Unsafe.CopyBlockUnaligned(d, src, (uint)(w * sizeof(float)));
                    if (w < NR)
                    {
                        new Span<float>(d + w, NR - w).Clear();
                    }

                    d += NR;
                }
            }
            else
            {
                // op(B)[k, j] = B[j, k]: read each row of B along k (contiguous), scatter into the panel.
                for (int j = 0; j < NR; j++)
                {
                    if (j < w)
                    {
                        float* src = b + ((long)(j0 + j) * ldb) + pc;
                        for (int kk = 0; kk < kc; kk++)
                        {
                            d[(kk * NR) + j] = src[kk];
                        }
                    }
                    else
                    {
                        for (int kk = 0; kk < kc; kk++)
                        {
                            d[(kk * NR) + j] = 0;
                        }
                    }
                }
            }
        }
    }

    /// <summary>packA[panel][k][MR] ← op(A)[ic+panel·MR+i, pc+k], zero-padded past m.</summary>
    private static void PackA(bool ta, float* a, int lda, int ic, int pc, int mc, int kc, float* dst)
    {
        int panels = (mc + MR - 1) / MR;
        for (int p = 0; p < panels; p++)
        {
            int i0 = ic + (p * MR);
            int h = Math.Min(MR, mc - (p * MR));
            float* d = dst + ((long)p * MR * kc);
            if (!ta)
            {
                for (int i = 0; i < h; i++)
                {
                    float* src = a + ((long)(i0 + i) * lda) + pc;
                    for (int kk = 0; kk < kc; kk++)
                    {
                        d[(kk * MR) + i] = src[kk];
                    }
                }

                for (int i = h; i < MR; i++)
                {
                    for (int kk = 0; kk < kc; kk++)
                    {
                        d[(kk * MR) + i] = 0;
                    }
                }
            }
            else
            {
                // op(A)[i, k] = A[k, i]: rows of A are contiguous along i.
                for (int kk = 0; kk < kc; kk++)
                {
                    float* src = a + ((long)(pc + kk) * lda) + i0;
                    int i = 0;
                    for (; i < h; i++)
                    {
                        d[(kk * MR) + i] = src[i];
                    }

                    for (; i < MR; i++)
                    {
                        d[(kk * MR) + i] = 0;
                    }
                }
            }
        }
    }

    /// <summary>Writes a computed MR×NR tile (in <paramref name="tile"/>, row stride NR) into C with alpha/beta and edge clipping.</summary>
    private static void FlushTile(float* tile, int tileStride, float* c, int ldc, int mr, int nr, float alpha, float beta)
    {
        for (int i = 0; i < mr; i++)
        {
            float* t = tile + (i * tileStride);
            float* cr = c + ((long)i * ldc);
            if (beta == 0)
            {
                for (int j = 0; j < nr; j++)
                {
                    cr[j] = alpha * t[j];
                }
            }
            else
            {
                for (int j = 0; j < nr; j++)
                {
                    cr[j] = (alpha * t[j]) + (beta * cr[j]);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float alpha, float beta, float* tile)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int kk = 0; kk < kc; kk++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += 8;
            b += 32;
        }

        if (mr == 8 && nr == 32)
        {
            var va = Vector512.Create(alpha);
            if (beta == 0)
            {
                Vector512.Store(c00 * va, c); Vector512.Store(c01 * va, c + 16); c += ldc;
                Vector512.Store(c10 * va, c); Vector512.Store(c11 * va, c + 16); c += ldc;
                Vector512.Store(c20 * va, c); Vector512.Store(c21 * va, c + 16); c += ldc;
                Vector512.Store(c30 * va, c); Vector512.Store(c31 * va, c + 16); c += ldc;
                Vector512.Store(c40 * va, c); Vector512.Store(c41 * va, c + 16); c += ldc;
                Vector512.Store(c50 * va, c); Vector512.Store(c51 * va, c + 16); c += ldc;
                Vector512.Store(c60 * va, c); Vector512.Store(c61 * va, c + 16); c += ldc;
                Vector512.Store(c70 * va, c); Vector512.Store(c71 * va, c + 16);
            }
            else
            {
                var vb = Vector512.Create(beta);
                Acc512(c, c00, c01, va, vb); c += ldc;
                Acc512(c, c10, c11, va, vb); c += ldc;
                Acc512(c, c20, c21, va, vb); c += ldc;
                Acc512(c, c30, c31, va, vb); c += ldc;
                Acc512(c, c40, c41, va, vb); c += ldc;
                Acc512(c, c50, c51, va, vb); c += ldc;
                Acc512(c, c60, c61, va, vb); c += ldc;
                Acc512(c, c70, c71, va, vb);
            }

            return;
        }

        Vector512.Store(c00, tile); Vector512.Store(c01, tile + 16);
        Vector512.Store(c10, tile + 32); Vector512.Store(c11, tile + 48);
        Vector512.Store(c20, tile + 64); Vector512.Store(c21, tile + 80);
        Vector512.Store(c30, tile + 96); Vector512.Store(c31, tile + 112);
        Vector512.Store(c40, tile + 128); Vector512.Store(c41, tile + 144);
        Vector512.Store(c50, tile + 160); Vector512.Store(c51, tile + 176);
        Vector512.Store(c60, tile + 192); Vector512.Store(c61, tile + 208);
        Vector512.Store(c70, tile + 224); Vector512.Store(c71, tile + 240);
        FlushTile(tile, 32, c, ldc, mr, nr, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Acc512(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> va, Vector512<float> vb)
    {
        Vector512.Store(Vector512.FusedMultiplyAdd(x0, va, Vector512.Load(c) * vb), c);
        Vector512.Store(Vector512.FusedMultiplyAdd(x1, va, Vector512.Load(c + 16) * vb), c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float alpha, float beta, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int kk = 0; kk < kc; kk++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            a += 6;
            b += 16;
        }

        Vector256.Store(c00, tile); Vector256.Store(c01, tile + 8);
        Vector256.Store(c10, tile + 16); Vector256.Store(c11, tile + 24);
        Vector256.Store(c20, tile + 32); Vector256.Store(c21, tile + 40);
        Vector256.Store(c30, tile + 48); Vector256.Store(c31, tile + 56);
        Vector256.Store(c40, tile + 64); Vector256.Store(c41, tile + 72);
        Vector256.Store(c50, tile + 80); Vector256.Store(c51, tile + 88);
        FlushTile(tile, 16, c, ldc, mr, nr, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x8(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float alpha, float beta, float* tile)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int kk = 0; kk < kc; kk++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var x = Vector128.Create(a[0]); c00 = Vector128.FusedMultiplyAdd(x, b0, c00); c01 = Vector128.FusedMultiplyAdd(x, b1, c01);
            x = Vector128.Create(a[1]); c10 = Vector128.FusedMultiplyAdd(x, b0, c10); c11 = Vector128.FusedMultiplyAdd(x, b1, c11);
            x = Vector128.Create(a[2]); c20 = Vector128.FusedMultiplyAdd(x, b0, c20); c21 = Vector128.FusedMultiplyAdd(x, b1, c21);
            x = Vector128.Create(a[3]); c30 = Vector128.FusedMultiplyAdd(x, b0, c30); c31 = Vector128.FusedMultiplyAdd(x, b1, c31);
            a += 4;
            b += 8;
        }

        Vector128.Store(c00, tile); Vector128.Store(c01, tile + 4);
        Vector128.Store(c10, tile + 8); Vector128.Store(c11, tile + 12);
        Vector128.Store(c20, tile + 16); Vector128.Store(c21, tile + 20);
        Vector128.Store(c30, tile + 24); Vector128.Store(c31, tile + 28);
        FlushTile(tile, 8, c, ldc, mr, nr, alpha, beta);
    }
}
