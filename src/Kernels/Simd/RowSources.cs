using System.Runtime.CompilerServices;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Where a GEMM micro-kernel finds A[r, p]: at Row(r)[Col(p)]. The kernels are generic over
/// struct sources, so the JIT (and NativeAOT) compiles one specialized copy per source and the
/// calls inline away.
/// </summary>
internal unsafe interface IRowSource<T>
    where T : unmanaged
{
    T* Row(int r);

    int Col(int p);
}

/// <summary>A plain row-major matrix: Row(r) = a + r·lda, Col(p) = p.</summary>
internal readonly unsafe struct StridedRows<T>(T* a, int lda) : IRowSource<T>
    where T : unmanaged
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T* Row(int r) => a + ((long)r * lda);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Col(int p) => p;
}

/// <summary>
/// Implicit im2col over one padded image: output pixel r starts at image + rowOffsets[r] (its
/// window's top-left tap), patch element p sits colOffsets[p] further on. Both tables are built
/// once at Prepare (<see cref="ConvTables"/>).
/// </summary>
internal readonly unsafe struct TableRows<T>(T* image, int* rowOffsets, int* colOffsets) : IRowSource<T>
    where T : unmanaged
{
    public T* Image => image;

    public int* RowOffsets => rowOffsets;

    public int* ColOffsets => colOffsets;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T* Row(int r) => image + rowOffsets[r];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Col(int p) => colOffsets[p];
}

/// <summary>
/// The offset tables of an implicit-GEMM convolution over an image padded to
/// [PaddedH, PaddedW, C]: row r = (oh, ow) starts at ((oh·SH)·PaddedW + ow·SW)·C, patch element
/// (kh, kw, ci) is (kh·PaddedW + kw)·C + ci further on. With <c>pairs</c> (the int8 kernels, which
/// multiply two adjacent int16 at once) the tables step over pairs instead: each kernel row's run
/// of KW·C taps is rounded up to even, the extra tap reads the next pixel (one more padded column)
/// and meets a zero weight (<see cref="KMap"/> says where each padded tap's weight comes from).
/// </summary>
internal sealed class ConvTables
{
    public ConvTables(in Reference.Window g, bool pairs = false)
    {
        int run = g.KW * g.InC;
        int runP = pairs ? (run + 1) / 2 * 2 : run;
        PaddedH = Math.Max(g.InH + g.PadTop, ((g.OutH - 1) * g.SH) + g.KH);
        PaddedW = Math.Max(g.InW + g.PadLeft, ((g.OutW - 1) * g.SW) + g.KW + (runP > run ? 1 : 0));
        Rows = GC.AllocateArray<int>(g.OutH * g.OutW, pinned: true);
        for (int oh = 0; oh < g.OutH; oh++)
        {
            for (int ow = 0; ow < g.OutW; ow++)
            {
                Rows[(oh * g.OutW) + ow] = (((oh * g.SH) * PaddedW) + (ow * g.SW)) * g.InC;
            }
        }

        int step = pairs ? 2 : 1;
        Cols = GC.AllocateArray<int>(g.KH * runP / step, pinned: true);
        KMap = new int[g.KH * runP];
        for (int kh = 0; kh < g.KH; kh++)
        {
            for (int j = 0; j < runP; j++)
            {
                KMap[(kh * runP) + j] = j < run ? (kh * run) + j : -1;
                if (j % step == 0)
                {
                    Cols[((kh * runP) + j) / step] = (kh * PaddedW * g.InC) + j;
                }
            }
        }

        PaddedElements = (long)PaddedH * PaddedW * g.InC;
    }

    public int PaddedH { get; }

    public int PaddedW { get; }

    public long PaddedElements { get; }

    /// <summary>Per output pixel, the offset of its window's first tap in the padded image.</summary>
    public int[] Rows { get; }

    /// <summary>Per patch element (or pair of elements), its offset from the window's first tap.</summary>
    public int[] Cols { get; }

    /// <summary>Per padded patch element, the patch element whose weight it meets, or −1 (zero weight).</summary>
    public int[] KMap { get; }

    /// <summary>
    /// Copies the rows of one image [H, W, C] that output pixels [pixel0, pixel0 + pixels) read into the padded buffer,
    /// <paramref name="pad"/> around them (int8 to int16 widens on the way); the rest of the buffer is left as it was,
    /// so each thread of a call split by rows pads only its own part of the image.
    /// </summary>
    public unsafe void Pad<TIn, TOut>(TIn* x, in Reference.Window g, TOut* padded, TOut pad, int pixel0, int pixels)
        where TIn : unmanaged
        where TOut : unmanaged
    {
        int c = g.InC;
        var all = new Span<TOut>(padded, checked((int)PaddedElements));
        int rowLen = PaddedW * c;
        int ph0 = pixel0 / g.OutW * g.SH, ph1 = Math.Min(PaddedH, ((pixel0 + pixels - 1) / g.OutW * g.SH) + g.KH);
        for (int ph = ph0; ph < ph1; ph++)
        {
            var dst = all.Slice(ph * rowLen, rowLen);
            int ih = ph - g.PadTop;
            if (ih < 0 || ih >= g.InH)
            {
                dst.Fill(pad);
                continue;
            }

            dst[..(g.PadLeft * c)].Fill(pad);
            TIn* src = x + ((long)ih * g.InW * c);
            if (typeof(TIn) == typeof(sbyte) && typeof(TOut) == typeof(short))
            {
                Int8Gemm.Widen((sbyte*)src, (short*)padded + ((long)ph * rowLen) + (g.PadLeft * c), g.InW * c);
            }
            else
            {
                new ReadOnlySpan<TOut>(src, g.InW * c).CopyTo(dst[(g.PadLeft * c)..]);
            }

            dst[((g.PadLeft + g.InW) * c)..].Fill(pad);
        }
    }
}
