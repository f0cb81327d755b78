using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeNet.Kernels.Reference;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// The AVX-512 int8 depthwise rows (multiplier 1, any channel count), 16 channels at a time. 3x3 at stride 1 across and
/// 5x5 at stride 1 or 2: each input row of a group is widened to floats once into a ring of KH rows that carries the
/// padding (the zero point's code) on both sides, so every output column — edges, rows in the padding, the last few —
/// runs a four-column FMA loop from L1; 3x3 at stride 2 reads the int8 input directly. The sums are exact integers in
/// floats (each product at most 128·128, 25 of them below 2^24), the folded bias (bias − zx·Σw over every tap, each a
/// pixel or the zero point) is added in int32 and the result requantized in the registers: the integer reference's
/// numbers. Where AVX512-VNNI is mapped, 3x3 at stride 1 or 2 across runs <see cref="Int8Vnni.Depthwise3x3"/> instead
/// (integer pair multiply-adds over int16 column pairs: six instructions for nine taps, no conversions).
/// </summary>
internal static unsafe partial class DepthwiseConv2D
{
    /// <summary>Floats of ring each thread needs for <see cref="Int8RingRows"/>: KH rows of 16 channels.</summary>
    private static long RingFloats(in Window g) => (long)g.KH * RingWidth(g) * 16;

    /// <summary>Input columns a ring row holds: the four-column groups' reach, OW rounded up to 4, from the left padding on.</summary>
    private static int RingWidth(in Window g) => ((((g.OutW + 3) & ~3) - 1) * g.SW) + g.KW;

    /// <summary>
    /// Output rows [oh0, oh1) of one image, channels outer: a group's ring of KH widened rows stays in L1 through the
    /// map (rows outer, every group's ring in L2, measured 2–10% slower per layer at 224²). 3x3 at stride 1 across,
    /// 5x5 at stride 1 or 2 (each input column feeds five or more taps there). xn: [H, W, C] int8; ring: [KH,
    /// RingWidth, 16] floats of scratch; yn: [OH, OW, C] int8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8RingRows(sbyte* xn, int oh0, int oh1, in Window g, int zx, float* w, int* foldedBias, LayerRequant16 q, float* scales, float* ring, sbyte* yn)
    {
        Debug.Assert((g.KH == 3 && g.SW == 1) || (g.KH == 5 && g.SW <= 2), "the ring rows: 3x3 at stride 1 across, 5x5 at 1 or 2");
        int c = g.InC, k = g.KH, pw = RingWidth(g);
        long slot = (long)pw * 16;
        var pad = Vector512.Create((float)zx);
        for (int j = 0; j < c; j += 16)
        {
            int next = int.MinValue;   // the first input row the ring does not hold yet (rows only move down)
            for (int oh = oh0; oh < oh1; oh++)
            {
                int ih0 = (oh * g.SH) - g.PadTop;
                for (int ih = Math.Max(next, ih0); ih < ih0 + k; ih++)
                {
                    WidenRow(xn, ih, j, g, pw, pad, ring + (Slot(ih, k) * slot));
                }

                next = ih0 + k;
                sbyte* yp = yn + ((long)oh * g.OutW * c) + j;
                if (k == 3)
                {
                    RingRow(ring + (Slot(ih0, 3) * slot), ring + (Slot(ih0 + 1, 3) * slot), ring + (Slot(ih0 + 2, 3) * slot), g, j, w, foldedBias, q, scales, yp);
                }
                else
                {
                    RingRow5(ring + (Slot(ih0, 5) * slot), ring + (Slot(ih0 + 1, 5) * slot), ring + (Slot(ih0 + 2, 5) * slot), ring + (Slot(ih0 + 3, 5) * slot), ring + (Slot(ih0 + 4, 5) * slot), g, j, w, foldedBias, q, scales, yp);
                }
            }
        }
    }

    /// <summary>
    /// One output row of a 5x5 kernel, channels [j, j + 16), from its five ring rows r0..r4 ([RingWidth, 16] floats
    /// each), four columns at a time: each tap's weight vector loaded once for the four (25 held in registers beside the
    /// accumulators would leave the JIT no room), its inputs read from L1 by the FMAs. w: [25, C] floats; y [OW, C] int8
    /// at channel j.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RingRow5(float* r0, float* r1, float* r2, float* r3, float* r4, in Window g, int j, float* w, int* foldedBias, LayerRequant16 q, float* scales, sbyte* yp)
    {
        int c = g.InC, lanes = Math.Min(16, c - j);
        long cs = (long)g.SW * 16, step = 4 * cs;   // floats from one output column's window to the next's, and four's
        float* wj = w + j;
        var fb = Vector512.Load(foldedBias + j);
        var scale = Vector512.Load(scales + j);
        for (int ow = 0; ow < g.OutW; ow += 4, r0 += step, r1 += step, r2 += step, r3 += step, r4 += step, yp += 4 * c)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Row4Taps5(r0, wj, c, cs, ref a0, ref a1, ref a2, ref a3);
            Row4Taps5(r1, wj + (5 * c), c, cs, ref a0, ref a1, ref a2, ref a3);
            Row4Taps5(r2, wj + (10 * c), c, cs, ref a0, ref a1, ref a2, ref a3);
            Row4Taps5(r3, wj + (15 * c), c, cs, ref a0, ref a1, ref a2, ref a3);
            Row4Taps5(r4, wj + (20 * c), c, cs, ref a0, ref a1, ref a2, ref a3);
            StoreColumns(q, fb, scale, a0, a1, a2, a3, yp, c, lanes, g.OutW - ow);
        }
    }

    /// <summary>
    /// One kernel row's five taps into four adjacent output columns, 16 channels: q at the first column's window in a
    /// ring row (16 floats a column, cs floats from one output column's window to the next's), wr at the row's first
    /// tap weight (c floats a tap).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row4Taps5(float* q, float* wr, int c, long cs, ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3)
    {
        for (int kw = 0; kw < 5; kw++, q += 16, wr += c)
        {
            var wk = Vector512.Load(wr);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(q), wk, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(q + cs), wk, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(q + (2 * cs)), wk, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(q + (3 * cs)), wk, a3);
        }
    }

    /// <summary>
    /// One output row of channels [j, j + 16) from its three ring rows r0, r1, r2 ([RingWidth, 16] floats each), four
    /// columns at a time: y [OW, C] int8 at channel j.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RingRow(float* r0, float* r1, float* r2, in Window g, int j, float* w, int* foldedBias, LayerRequant16 q, float* scales, sbyte* yp)
    {
        int c = g.InC, sw = g.SW, lanes = Math.Min(16, c - j);
        long step = 4L * sw * 16;
        LoadTaps(w + j, c, out var w0, out var w1, out var w2, out var w3, out var w4, out var w5, out var w6, out var w7, out var w8);
        var fb = Vector512.Load(foldedBias + j);
        var scale = Vector512.Load(scales + j);
        for (int ow = 0; ow < g.OutW; ow += 4, r0 += step, r1 += step, r2 += step, yp += 4 * c)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Row4(r0, 16, sw, w0, w1, w2, ref a0, ref a1, ref a2, ref a3);
            Row4(r1, 16, sw, w3, w4, w5, ref a0, ref a1, ref a2, ref a3);
            Row4(r2, 16, sw, w6, w7, w8, ref a0, ref a1, ref a2, ref a3);
            StoreColumns(q, fb, scale, a0, a1, a2, a3, yp, c, lanes, g.OutW - ow);
        }
    }

    /// <summary>Four adjacent output columns of <see cref="Store1"/>, or the row's last one to three (the ring reaches past them): y [min(cols, 4), c] int8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(LayerRequant16 q, Vector512<int> fb, Vector512<float> scale, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, sbyte* y, int c, int lanes, int cols)
    {
        if (cols >= 4)
        {
            Store4(q, fb, scale, a0, a1, a2, a3, y, c, lanes);
            return;
        }

        Store1(q, fb, scale, a0, y, lanes);
        if (cols > 1)
        {
            Store1(q, fb, scale, a1, y + c, lanes);
        }

        if (cols > 2)
        {
            Store1(q, fb, scale, a2, y + (2 * c), lanes);
        }
    }

    /// <summary>
    /// Output rows [oh0, oh1) of one image at stride 2 (or more) across, rows outer, 16 channels at a time straight from the int8
    /// input (<see cref="Int8Row3x3Wide"/>): each input column feeds about two taps there, so a ring's widened copy
    /// (a 64-byte store per column) costs more than it saves (224²'s block_1, 112×112×96: 75 µs direct, 112 through the
    /// ring). xn: [H, W, C] int8; yn: [OH, OW, C] int8.
    /// </summary>
    private static void Int8Rows3x3Wide(sbyte* xn, int oh0, int oh1, in Window g, int owA, int owB, int zx, float* w, int* bias, int* foldedBias, LayerRequant16 q, float* scales, sbyte* yn)
    {
        for (int oh = oh0; oh < oh1; oh++)
        {
            for (int j = 0; j < g.InC; j += 16)
            {
                Int8Row3x3Wide(xn, oh, j, Math.Min(16, g.InC - j), g, owA, owB, zx, w, bias, foldedBias, q, scales, yn);
            }
        }
    }

    /// <summary>
    /// Output row <paramref name="oh"/>, channels [j, j + 16), of an int8 3x3 depthwise convolution: the check-free columns
    /// [owA, owB) four at a time sharing their input loads (rows wholly inside the image), the edge columns and the rows
    /// that reach the padding with their taps checked, Σ (x − zx)·w over the taps inside (the padding's taps are zero)
    /// in float FMAs — each product at most 255·128, nine of them exact in a float — plus the bias in int32, then
    /// requantized in the registers. xn: [H, W, C]; yn: [OH, OW, C].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8Row3x3Wide(sbyte* xn, int oh, int j, int lanes, in Window g, int owA, int owB, int zx, float* w, int* bias, int* foldedBias, LayerRequant16 q, float* scales, sbyte* yn)
    {
        int c = g.InC, sw = g.SW;
        long rs = (long)g.InW * c, step = (long)sw * c;
        int ih0 = (oh * g.SH) - g.PadTop;
        int r0 = Math.Max(0, -ih0), r1 = Math.Min(3, g.InH - ih0);
        bool interior = r0 == 0 && r1 == 3 && owB > owA;
        sbyte* yrow = yn + ((long)oh * g.OutW * c) + j;
        float* wj = w + j;
        var scale = Vector512.Load(scales + j);
        if (interior)
        {
            LoadTaps(wj, c, out var w0, out var w1, out var w2, out var w3, out var w4, out var w5, out var w6, out var w7, out var w8);
            var fb = Vector512.Load(foldedBias + j);
            sbyte* p = xn + ((long)ih0 * rs) + (((long)(owA * sw) - g.PadLeft) * c) + j;
            sbyte* yp = yrow + ((long)owA * c);
            int ow = owA;
            if (sw <= 2)
            {
                for (; ow + 4 <= owB; ow += 4, p += 4 * step, yp += 4 * c)
                {
                    Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                    Row4Int8(p, c, sw, w0, w1, w2, ref a0, ref a1, ref a2, ref a3);
                    Row4Int8(p + rs, c, sw, w3, w4, w5, ref a0, ref a1, ref a2, ref a3);
                    Row4Int8(p + (2 * rs), c, sw, w6, w7, w8, ref a0, ref a1, ref a2, ref a3);
                    Store4(q, fb, scale, a0, a1, a2, a3, yp, c, lanes);
                }
            }

            for (; ow < owB; ow++, p += step, yp += c)
            {
                var a = Vector512.FusedMultiplyAdd(Int8AsFloat(p), w0, Vector512.FusedMultiplyAdd(Int8AsFloat(p + c), w1, Int8AsFloat(p + (2 * c)) * w2));
                a = Vector512.FusedMultiplyAdd(Int8AsFloat(p + rs), w3, Vector512.FusedMultiplyAdd(Int8AsFloat(p + rs + c), w4, Vector512.FusedMultiplyAdd(Int8AsFloat(p + rs + (2 * c)), w5, a)));
                a = Vector512.FusedMultiplyAdd(Int8AsFloat(p + (2 * rs)), w6, Vector512.FusedMultiplyAdd(Int8AsFloat(p + (2 * rs) + c), w7, Vector512.FusedMultiplyAdd(Int8AsFloat(p + (2 * rs) + (2 * c)), w8, a)));
                Store1(q, fb, scale, a, yp, lanes);
            }
        }

        var z = Vector512.Create((float)zx);
        var b = Vector512.Load(bias + j);
        for (int e = 0; e < g.OutW; e++)
        {
            if (interior && e == owA)
            {
                e = owB - 1;
                continue;
            }

            int iw0 = (e * sw) - g.PadLeft;
            int kw0 = Math.Max(0, -iw0), kw1 = Math.Min(3, g.InW - iw0);
            var sum = Vector512<float>.Zero;
            for (int kh = r0; kh < r1; kh++)
            {
                sbyte* xr = xn + ((((long)(ih0 + kh) * g.InW) + iw0) * c) + j;
                float* wr = wj + ((long)kh * 3 * c);
                for (int kw = kw0; kw < kw1; kw++)
                {
                    sum = Vector512.FusedMultiplyAdd(Int8AsFloat(xr + ((long)kw * c)) - z, Vector512.Load(wr + ((long)kw * c)), sum);
                }
            }

            Store1(q, b, scale, sum, yrow + ((long)e * c), lanes);
        }
    }

    /// <summary>The slot of input row ih in a ring of k rows (ih may lie in the padding above, so negative).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(int ih, int k) => ((ih % k) + k) % k;

    /// <summary>
    /// Input row ih, channels [j, j + 16), as floats: d [pw, 16], column u is input column u − PadLeft, the zero point's
    /// code outside the image (a row in the padding is all of it). A last group of fewer than 16 channels reads the
    /// next pixel's bytes in its idle lanes (the arena keeps readable bytes after its end); they are never stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WidenRow(sbyte* xn, int ih, int j, in Window g, int pw, Vector512<float> pad, float* d)
    {
        int u = 0;
        if ((uint)ih < (uint)g.InH)
        {
            int c = g.InC;
            for (int left = Math.Min(pw, g.PadLeft); u < left; u++)
            {
                pad.Store(d + (u * 16));
            }

            sbyte* src = xn + ((long)ih * g.InW * c) + j + ((long)(u - g.PadLeft) * c);
            int end = Math.Min(pw, g.PadLeft + g.InW);
            for (; u + 4 <= end; u += 4, src += 4 * c)
            {
                Int8AsFloat(src).Store(d + (u * 16));
                Int8AsFloat(src + c).Store(d + (u * 16) + 16);
                Int8AsFloat(src + (2 * c)).Store(d + (u * 16) + 32);
                Int8AsFloat(src + (3 * c)).Store(d + (u * 16) + 48);
            }

            for (; u < end; u++, src += c)
            {
                Int8AsFloat(src).Store(d + (u * 16));
            }
        }

        for (; u < pw; u++)
        {
            pad.Store(d + (u * 16));
        }
    }

    /// <summary>16 int8 values as floats (vpmovsxbd, vcvtdq2ps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Int8AsFloat(sbyte* p) => Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.Load(p)));

    /// <summary>Four adjacent output columns of <see cref="Store1"/>: y [4, c] int8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(LayerRequant16 q, Vector512<int> fb, Vector512<float> scale, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, sbyte* y, int c, int lanes)
    {
        Store1(q, fb, scale, a0, y, lanes);
        Store1(q, fb, scale, a1, y + c, lanes);
        Store1(q, fb, scale, a2, y + (2 * c), lanes);
        Store1(q, fb, scale, a3, y + (3 * c), lanes);
    }

    /// <summary>One output column's float sum (an exact integer) plus the folded bias, requantized and stored: y [c] int8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store1(LayerRequant16 q, Vector512<int> fb, Vector512<float> scale, Vector512<float> a, sbyte* y, int lanes) =>
        LayerRequant16.Store(y, q.Codes(fb + Avx512F.ConvertToVector512Int32WithTruncation(a), scale), lanes);
}
