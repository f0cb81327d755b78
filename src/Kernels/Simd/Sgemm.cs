using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Blocked, packed single-precision GEMM: C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C.
/// Row-major with leading dimensions. B is packed into NR-wide column panels and A into MR-tall
/// row panels per (KC × NC) / (MC × KC) block, then a register-blocked micro-kernel
/// (12×32 on AVX-512, 6×16 on AVX2, 8×8 on arm64 AdvSimd, 4×8 on x64 128-bit SIMD; written by
/// scripts/gen-kernels.py from one template) runs over the packed panels: each A micro-panel stays
/// in L1 while the B micro-panels of the packed block stream past it from L2. Two
/// threads split the work when it pays. Packing buffers are per-thread and reused: no
/// allocation per call once warm.
/// </summary>
internal static unsafe partial class Gemm
{
    // KC: the depth of a packed block. 1024 (no k-blocking up to k = 1024) keeps C's read-modify-write passes
    // few: 1024³ on one thread went from 75–76% of the FMA roofline (KC 256) to 84–87% (docs/benchmarks.md).
    private const int KC = 1024;

    // The k-split's unit: a K range per thread is a multiple of it, and K ≥ 8 of them makes splitting K worth it.
    private const int KSplit = 256;
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
            (Kind, MR, NR) = (KernelKind.V512, 12, 32);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            (Kind, MR, NR) = (KernelKind.V256, 6, 16);
        }
        else
        {
            (Kind, MR, NR) = (KernelKind.V128, System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? 8 : 4, 8);
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

    [ThreadStatic] private static int t_threadCap;

    /// <summary>
    /// A cap on the workers of the calls made from this thread (0: none): 1 keeps a training step on the
    /// board on its own thread and allocation-free (the fork/join allocates).
    /// </summary>
    public static int ThreadCap
    {
        get => t_threadCap;
        set => t_threadCap = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the thread cap is >= 0 (0: none)");
    }

    /// <summary>
    /// Caps this thread's GEMM workers until disposed, then restores the cap it found
    /// (<c>using var cap = new Gemm.ThreadCapScope(1);</c>); a ref struct: nothing is allocated.
    /// </summary>
    public readonly ref struct ThreadCapScope
    {
        private readonly int _previous;

        public ThreadCapScope(int threads)
        {
            _previous = ThreadCap;
            ThreadCap = threads;
        }

        public void Dispose() => ThreadCap = _previous;
    }

    /// <summary>The workers a call from this thread may use.</summary>
    public static int Threads => t_threadCap > 0 ? Math.Min(t_threadCap, Math.Max(1, MaxThreads)) : Math.Max(1, MaxThreads);

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
        int threads = flops < 2e6 ? 1 : Threads;
        if (threads > 1 && m < 4 * MC && n < 4 * NR && k >= 8 * KSplit)
        {
            SplitK(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
        }
        else if (threads > 1 && m >= n && m >= 2 * MR)
        {
            SplitRows(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
        }
        else if (threads > 1 && n >= 2 * NR)
        {
            SplitColumns(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
        }
        else
        {
            Serial(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    // The parallel splits live in their own methods: a lambda's captured parameters are allocated at the entry
    // of the method that holds it, which would make every single-threaded call allocate too.
    private static void SplitRows(bool ta, bool tb, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        int chunks = Math.Min(threads, (m + MR - 1) / MR);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int i0 = Split(m, chunks, t, MR), i1 = Split(m, chunks, t + 1, MR);
            float* at = ta ? a + i0 : a + ((long)i0 * lda);
            Serial(ta, tb, i1 - i0, n, k, alpha, at, lda, b, ldb, beta, c + ((long)i0 * ldc), ldc);
        });
    }

    private static void SplitColumns(bool ta, bool tb, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        int chunks = Math.Min(threads, (n + NR - 1) / NR);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int j0 = Split(n, chunks, t, NR), j1 = Split(n, chunks, t + 1, NR);
            float* bt = tb ? b + ((long)j0 * ldb) : b + j0;
            Serial(ta, tb, m, j1 - j0, k, alpha, a, lda, bt, ldb, beta, c + j0, ldc);
        });
    }

    /// <summary>
    /// Small C, long K (a weight gradient summed over many positions): each thread multiplies one
    /// K range into its own partial C, then the partials are added.
    /// </summary>
    private static void SplitK(bool ta, bool tb, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        int chunks = Math.Min(threads, (k + KSplit - 1) / KSplit);
        float[] partial = System.Buffers.ArrayPool<float>.Shared.Rent((chunks - 1) * m * n);
        try
        {
            fixed (float* pp = partial)
            {
                float* parts = pp;
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    int k0 = Split(k, chunks, t, KSplit), k1 = Split(k, chunks, t + 1, KSplit);
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

    /// <summary>This thread's pinned scratch of at least <paramref name="need"/> floats (allocated on the first call that needs more).</summary>
    private static float[] Scratch(ref float[]? buffer, long need)
    {
        if (buffer is null || buffer.Length < need)
        {
            buffer = GC.AllocateUninitializedArray<float>((int)need, pinned: true);
        }

        return buffer;
    }

    /// <summary>The single-threaded blocked GEMM: NC column blocks × KC depth blocks × MC row blocks.</summary>
    private static void Serial(bool ta, bool tb, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        // packB [panels(min(n, NC)), min(k, KC), NR]: sized to the call, grown once for a larger one.
        fixed (float* packB = Scratch(ref t_packB, (long)((Math.Min(n, NC) + NR - 1) / NR) * NR * Math.Min(k, KC)))
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
        t_tile ??= GC.AllocateUninitializedArray<float>(12 * 32, pinned: true);
        fixed (float* packA = Scratch(ref t_packA, (long)((MC + MR - 1) / MR) * MR * kc)) // [panels(MC), kc, MR]
        fixed (float* tile = t_tile)
        {
            PackA(ta, a, lda, ic, pc, mc, kc, packA);
            for (int ip = 0; ip < rowPanels; ip++)
            {
                int i = ip * MR;
                int mr = Math.Min(MR, mc - i);
                float* ap = packA + ((long)ip * MR * kc);
                for (int jp = p0; jp < p1; jp++)
                {
                    int j = jp * NR;
                    int nr = Math.Min(NR, nc - j);
                    float* bp = packB + ((long)jp * NR * kc);
                    float* cp = c + ((long)(ic + i) * ldc) + jc + j;
                    switch (Kind)
                    {
                        case KernelKind.V512: Kernel12x32(kc, ap, bp, cp, ldc, mr, nr, alpha, beta, tile); break;
                        case KernelKind.V256: Kernel6x16(kc, ap, bp, cp, ldc, mr, nr, alpha, beta, tile); break;
                        default: if (MR == 8) { Kernel8x8(kc, ap, bp, cp, ldc, mr, nr, alpha, beta, tile); } else { Kernel4x8(kc, ap, bp, cp, ldc, mr, nr, alpha, beta, tile); } break;
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
}
