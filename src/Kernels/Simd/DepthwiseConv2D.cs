using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeNet.Kernels.Reference;
using RefAct = EdgeNet.Kernels.Reference.Activations;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Depthwise convolution over NHWC with channels across vector lanes (depth multiplier 1, the case
/// MobileNet and every torchvision family use; other multipliers run the reference twin): float
/// forward with fused activation, both backward passes, and int8 with per-channel requantization.
/// Each call covers images [n0, n1) so the caller can split a batch between threads.
/// </summary>
internal static unsafe partial class DepthwiseConv2D
{
    // x: [B, H, W, C]  w: [KH, KW, C]  b: [C] or null  →  y: [B, OH, OW, C], images [n0, n1); act 0 linear, 1 relu, 4 relu6
    public static void Forward(float* x, int n0, int n1, in Window g, float* w, float* b, int m, int act, float* y) => Forward(x, n0, n1, 0, g.OutH, g, w, b, m, act, y);

    // The same over output rows [oh0, oh1) of each image (batch 1 split between threads).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(float* x, int n0, int n1, int oh0, int oh1, in Window g, float* w, float* b, int m, int act, float* y)
    {
        int c = g.InC;
        if (m != 1)
        {
            long inImage = (long)g.InH * g.InW * c, outImage = (long)g.OutH * g.OutW * c * m;
            // Whole images only: callers split other multipliers by image, never by rows.
            Reference.DepthwiseConv2D.F32(x + (n0 * inImage), n1 - n0, g, w, b, m, act, y + (n0 * outImage));
            return;
        }

        int lanes = Vector<float>.Count;
        var lo = act is RefAct.Relu or RefAct.Relu6 ? Vector<float>.Zero : new Vector<float>(float.NegativeInfinity);
        var hi = act == RefAct.Relu6 ? new Vector<float>(6f) : new Vector<float>(float.PositiveInfinity);
        long rs = (long)g.InW * c;
        // Output columns whose window lies inside the image: the check-free inner loops (3x3 weights in registers, others blocked by 4 columns).
        int lastInside = g.InW - g.KW + g.PadLeft;   // the largest ow·SW whose window ends inside the row
        int owA = Math.Min(g.OutW, (g.PadLeft + g.SW - 1) / g.SW), owB = lastInside < 0 ? owA : Math.Max(owA, Math.Min(g.OutW, (lastInside / g.SW) + 1));
        bool k3 = g.KH == 3 && g.KW == 3;
        if (k3 && c % 16 == 0 && lanes == 8 && Vector512.IsHardwareAccelerated)
        {
            // With AVX-512 a 3x3 image goes 16 channels at a time, edges and rows that reach the padding included.
            for (int n = n0; n < n1; n++)
            {
                Rows3x3Wide(x + ((long)n * g.InH * g.InW * c), oh0, oh1, g, owA, owB, w, b, act, y + ((long)n * g.OutH * g.OutW * c));
            }

            return;
        }

        for (int n = n0; n < n1; n++)
        {
            float* xn = x + ((long)n * g.InH * g.InW * c);
            for (int oh = oh0; oh < oh1; oh++)
            {
                int ih0 = (oh * g.SH) - g.PadTop;
                bool fullRows = ih0 >= 0 && ih0 + g.KH <= g.InH;
                float* yrow = y + ((((long)n * g.OutH) + oh) * g.OutW * c);

                // A vector of channels at a time along the row: its taps' weights stay in registers (3x3) across the columns.
                int j = 0;
                for (; j <= c - lanes; j += lanes)
                {
                    var bias = b is null ? Vector<float>.Zero : Unsafe.ReadUnaligned<Vector<float>>(b + j);
                    int inner0 = 0, inner1 = 0;
                    if (fullRows)
                    {
                        (inner0, inner1) = (owA, owB);
                    }

                    if (!k3 && fullRows)
                    {
                        InteriorBlocked(xn + ((long)ih0 * rs) + (((long)(owA * g.SW) - g.PadLeft) * c) + j, rs, c, g.SW, g.KH, g.KW, owB - owA, w + j, bias, lo, hi, yrow + ((long)owA * c) + j);
                    }

                    if (k3 && fullRows)
                    {
                        float* wj = w + j;
                        var w0 = Unsafe.ReadUnaligned<Vector<float>>(wj);
                        var w1 = Unsafe.ReadUnaligned<Vector<float>>(wj + c);
                        var w2 = Unsafe.ReadUnaligned<Vector<float>>(wj + (2 * c));
                        var w3 = Unsafe.ReadUnaligned<Vector<float>>(wj + (3 * c));
                        var w4 = Unsafe.ReadUnaligned<Vector<float>>(wj + (4 * c));
                        var w5 = Unsafe.ReadUnaligned<Vector<float>>(wj + (5 * c));
                        var w6 = Unsafe.ReadUnaligned<Vector<float>>(wj + (6 * c));
                        var w7 = Unsafe.ReadUnaligned<Vector<float>>(wj + (7 * c));
                        var w8 = Unsafe.ReadUnaligned<Vector<float>>(wj + (8 * c));
                        float* p = xn + ((long)ih0 * rs) + (((long)(owA * g.SW) - g.PadLeft) * c) + j;
                        long step = (long)g.SW * c;
                        float* yp = yrow + ((long)owA * c) + j;
                        int ow = owA;
                        if (g.SW <= 2 && Columns4)
                        {
                            // Four output columns share their overlapping input loads (as Rows3x3Wide does).
                            for (; ow + 4 <= owB; ow += 4, p += 4 * step, yp += 4 * c)
                            {
                                Vector<float> a0 = bias, a1 = bias, a2 = bias, a3 = bias;
                                Row4(p, c, g.SW, w0, w1, w2, ref a0, ref a1, ref a2, ref a3);
                                Row4(p + rs, c, g.SW, w3, w4, w5, ref a0, ref a1, ref a2, ref a3);
                                Row4(p + (2 * rs), c, g.SW, w6, w7, w8, ref a0, ref a1, ref a2, ref a3);
                                Unsafe.WriteUnaligned(yp, Vector.MinNative(hi, Vector.MaxNative(lo, a0)));
                                Unsafe.WriteUnaligned(yp + c, Vector.MinNative(hi, Vector.MaxNative(lo, a1)));
                                Unsafe.WriteUnaligned(yp + (2 * c), Vector.MinNative(hi, Vector.MaxNative(lo, a2)));
                                Unsafe.WriteUnaligned(yp + (3 * c), Vector.MinNative(hi, Vector.MaxNative(lo, a3)));
                            }
                        }

                        for (; ow < owB; ow++, p += step, yp += c)
                        {
                            var acc = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(p), w0, bias);
                            acc = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(p + c), w1, acc);
                            acc = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(p + (2 * c)), w2, acc);
                            acc = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(p + rs), w3, acc);
                            acc = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(p + rs + c), w4, acc);
                            acc = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(p + rs + (2 * c)), w5, acc);
                            acc = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(p + (2 * rs)), w6, acc);
                            acc = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(p + (2 * rs) + c), w7, acc);
                            acc = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(p + (2 * rs) + (2 * c)), w8, acc);
                            Unsafe.WriteUnaligned(yp, Vector.MinNative(hi, Vector.MaxNative(lo, acc)));
                        }
                    }

                    // The columns at the edges (and every column of other kernel sizes or of rows that reach the padding).
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        if (ow == inner0 && inner1 > inner0)
                        {
                            ow = inner1 - 1;
                            continue;
                        }

                        int iw0 = (ow * g.SW) - g.PadLeft;
                        int kh0 = Math.Max(0, -ih0), kh1 = Math.Min(g.KH, g.InH - ih0);
                        int kw0 = Math.Max(0, -iw0), kw1 = Math.Min(g.KW, g.InW - iw0);
                        var acc = bias;
                        for (int kh = kh0; kh < kh1; kh++)
                        {
                            float* xr = xn + ((((long)(ih0 + kh) * g.InW) + iw0) * c) + j;
                            float* wr = w + ((long)kh * g.KW * c) + j;
                            for (int kw = kw0; kw < kw1; kw++)
                            {
                                acc = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xr + ((long)kw * c)), Unsafe.ReadUnaligned<Vector<float>>(wr + ((long)kw * c)), acc);
                            }
                        }

                        Unsafe.WriteUnaligned(yrow + ((long)ow * c) + j, Vector.MinNative(hi, Vector.MaxNative(lo, acc)));
                    }
                }

                // The channels past the last whole vector, one at a time.
                for (; j < c; j++)
                {
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        int iw0 = (ow * g.SW) - g.PadLeft;
                        int kh0 = Math.Max(0, -ih0), kh1 = Math.Min(g.KH, g.InH - ih0);
                        int kw0 = Math.Max(0, -iw0), kw1 = Math.Min(g.KW, g.InW - iw0);
                        float s = b is null ? 0f : b[j];
                        for (int kh = kh0; kh < kh1; kh++)
                        {
                            for (int kw = kw0; kw < kw1; kw++)
                            {
                                s += xn[((((long)(ih0 + kh) * g.InW) + iw0 + kw) * c) + j] * w[(((long)kh * g.KW + kw) * c) + j];
                            }
                        }

                        yrow[((long)ow * c) + j] = RefAct.Scalar(act, s);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The check-free columns of one output row for one vector of channels, any kernel size other than 3x3 (5x5: MNASNet,
    /// EfficientNet): four output columns at a time share each tap's weight load, so a tap costs 1.25 loads per FMA
    /// instead of the edge loop's 2 (25 weight vectors do not fit AVX2's registers as the 3x3 kernel's 9 do).
    /// </summary>
    // p: x at the first column's window (row ih0, column owA·SW − PadLeft, channel j); rs: a row's floats;
    // w: [KH·KW, C] at channel j; y: [count, C] at (owA, j).
    private static void InteriorBlocked(float* p, long rs, int c, int sw, int kh, int kw, int count, float* w, Vector<float> bias, Vector<float> lo, Vector<float> hi, float* y)
    {
        long step = (long)sw * c;
        int ow = 0;
        for (; ow + 4 <= count; ow += 4, p += 4 * step, y += 4 * c)
        {
            Vector<float> a0 = bias, a1 = bias, a2 = bias, a3 = bias;
            for (int r = 0; r < kh; r++)
            {
                float* xr = p + (r * rs);
                float* wr = w + ((long)r * kw * c);
                for (int k = 0; k < kw; k++, xr += c, wr += c)
                {
                    var wv = Unsafe.ReadUnaligned<Vector<float>>(wr);
                    a0 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xr), wv, a0);
                    a1 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xr + step), wv, a1);
                    a2 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xr + (2 * step)), wv, a2);
                    a3 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xr + (3 * step)), wv, a3);
                }
            }

            Unsafe.WriteUnaligned(y, Vector.MinNative(hi, Vector.MaxNative(lo, a0)));
            Unsafe.WriteUnaligned(y + c, Vector.MinNative(hi, Vector.MaxNative(lo, a1)));
            Unsafe.WriteUnaligned(y + (2 * c), Vector.MinNative(hi, Vector.MaxNative(lo, a2)));
            Unsafe.WriteUnaligned(y + (3 * c), Vector.MinNative(hi, Vector.MaxNative(lo, a3)));
        }

        for (; ow < count; ow++, p += step, y += c)
        {
            var a = bias;
            for (int r = 0; r < kh; r++)
            {
                float* xr = p + (r * rs);
                float* wr = w + ((long)r * kw * c);
                for (int k = 0; k < kw; k++)
                {
                    a = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xr + ((long)k * c)), Unsafe.ReadUnaligned<Vector<float>>(wr + ((long)k * c)), a);
                }
            }

            Unsafe.WriteUnaligned(y, Vector.MinNative(hi, Vector.MaxNative(lo, a)));
        }
    }

    /// <summary>Input bytes (all channels) a band of <see cref="Rows3x3Wide"/>'s channels-outer order covers: half of a 2 MB L2.</summary>
    private const long ChannelsOuterBandBytes = 1L << 20;

    /// <summary>
    /// Output rows [oh0, oh1) of one image of a 3x3 depthwise convolution, 16 channels per Vector512 (c a multiple of
    /// 16), a vector of channels at a time through all the rows (its three input rows' lines stay in L1 from one output
    /// row to the next): the check-free columns [owA, owB) four at a time, the edge columns with their taps checked; a
    /// row whose window reaches the padding above or below skips those kernel rows. Every output sums its taps in the
    /// edge loop's order (row-major, skipping the padding): the same numbers. xn: image [H, W, C]; yn: [OH, OW, C].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows3x3Wide(float* xn, int oh0, int oh1, in Window g, int owA, int owB, float* w, float* b, int act, float* yn)
    {
        // Channels outer where an input row is read by more than one output row (stride 1 or 2) and three rows of every channel
        // overflow L1 (MobileNetV2 224: 56×56×144 and 28×28×192 at stride 1, 164 → 110 and 71 → 42 µs; 56×56×144 at
        // stride 2, 95 → 70 µs); rows outer on the small maps, where the next vector of channels is the next cache line
        // (7×7×960: 17 → 26 µs channels outer; 28×28×192 and 14×14×576 at stride 2: no difference).
        bool channelsOuter = g.SH <= 2 && g.OutH >= 28 && 3L * g.InW * g.InC * sizeof(float) > 48 * 1024;
        int c = g.InC;
        if (channelsOuter)
        {
            // In bands of output rows whose input rows fit in L2, so the later vectors of channels find the lines the
            // first one brought in: 224²'s block_1_depthwise (112×112×96 in, 4.8 MB, stride 2) read the whole map from
            // memory once per 16 channels, 569 → 409 µs; maps within a band run as one (channels outer over all rows).
            int band = (int)Math.Max(1, ChannelsOuterBandBytes / ((long)g.SH * g.InW * c * sizeof(float)));
            for (int b0 = oh0; b0 < oh1; b0 += band)
            {
                int b1 = Math.Min(oh1, b0 + band);
                for (int j = 0; j < c; j += 16)
                {
                    for (int oh = b0; oh < b1; oh++)
                    {
                        Row3x3Wide(xn, oh, j, g, owA, owB, w, b, act, yn);
                    }
                }
            }

            return;
        }

        for (int oh = oh0; oh < oh1; oh++)
        {
            for (int j = 0; j < c; j += 16)
            {
                Row3x3Wide(xn, oh, j, g, owA, owB, w, b, act, yn);
            }
        }
    }

    /// <summary>Output row <paramref name="oh"/>, channels [j, j + 16), of <see cref="Rows3x3Wide"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row3x3Wide(float* xn, int oh, int j, in Window g, int owA, int owB, float* w, float* b, int act, float* yn)
    {
        var lo = act is RefAct.Relu or RefAct.Relu6 ? Vector512<float>.Zero : Vector512.Create(float.NegativeInfinity);
        var hi = act == RefAct.Relu6 ? Vector512.Create(6f) : Vector512.Create(float.PositiveInfinity);
        int c = g.InC, sw = g.SW;
        long rs = (long)g.InW * c, step = (long)sw * c;
        int ih0 = (oh * g.SH) - g.PadTop;
        int r0 = Math.Max(0, -ih0), r1 = Math.Min(3, g.InH - ih0);   // the kernel rows inside the image
        bool top = r0 == 0, mid = r0 <= 1 && r1 >= 2, bottom = r1 == 3;
        float* x0 = xn + ((long)ih0 * rs);   // the window's first row: read only from kernel row r0 on
        float* yrow = yn + ((long)oh * g.OutW * c);
        float* wj = w + j;
        LoadTaps(wj, c, out var w0, out var w1, out var w2, out var w3, out var w4, out var w5, out var w6, out var w7, out var w8);
        var bias = b is null ? Vector512<float>.Zero : Vector512.Load(b + j);
        float* p = x0 + (((long)(owA * sw) - g.PadLeft) * c) + j;
        float* yp = yrow + ((long)owA * c) + j;
        int ow = owA;
        if (sw <= 2)
        {
            // Four output columns at a time: their windows overlap (stride 1: 6 input columns per row, stride 2: 9),
            // so each input vector is loaded once for up to three taps.
            for (; ow + 4 <= owB; ow += 4, p += 4 * step, yp += 4 * c)
            {
                Vector512<float> a0 = bias, a1 = bias, a2 = bias, a3 = bias;
                if (top)
                {
                    Row4(p, c, sw, w0, w1, w2, ref a0, ref a1, ref a2, ref a3);
                }

                if (mid)
                {
                    Row4(p + rs, c, sw, w3, w4, w5, ref a0, ref a1, ref a2, ref a3);
                }

                if (bottom)
                {
                    Row4(p + (2 * rs), c, sw, w6, w7, w8, ref a0, ref a1, ref a2, ref a3);
                }

                Vector512.MinNative(hi, Vector512.MaxNative(lo, a0)).Store(yp);
                Vector512.MinNative(hi, Vector512.MaxNative(lo, a1)).Store(yp + c);
                Vector512.MinNative(hi, Vector512.MaxNative(lo, a2)).Store(yp + (2 * c));
                Vector512.MinNative(hi, Vector512.MaxNative(lo, a3)).Store(yp + (3 * c));
            }
        }

        for (; ow < owB; ow++, p += step, yp += c)
        {
            var acc = bias;
            if (top)
            {
                acc = Vector512.FusedMultiplyAdd(Vector512.Load(p + (2 * c)), w2, Vector512.FusedMultiplyAdd(Vector512.Load(p + c), w1, Vector512.FusedMultiplyAdd(Vector512.Load(p), w0, acc)));
            }

            if (mid)
            {
                acc = Vector512.FusedMultiplyAdd(Vector512.Load(p + rs + (2 * c)), w5, Vector512.FusedMultiplyAdd(Vector512.Load(p + rs + c), w4, Vector512.FusedMultiplyAdd(Vector512.Load(p + rs), w3, acc)));
            }

            if (bottom)
            {
                acc = Vector512.FusedMultiplyAdd(Vector512.Load(p + (2 * rs) + (2 * c)), w8, Vector512.FusedMultiplyAdd(Vector512.Load(p + (2 * rs) + c), w7, Vector512.FusedMultiplyAdd(Vector512.Load(p + (2 * rs)), w6, acc)));
            }

            Vector512.MinNative(hi, Vector512.MaxNative(lo, acc)).Store(yp);
        }

        // The edge columns: only the taps inside the row.
        for (int e = 0; e < g.OutW; e++)
        {
            if (e == owA && owB > owA)
            {
                e = owB - 1;
                continue;
            }

            int iw0 = (e * sw) - g.PadLeft;
            int kw0 = Math.Max(0, -iw0), kw1 = Math.Min(3, g.InW - iw0);
            var acc = bias;
            for (int kh = r0; kh < r1; kh++)
            {
                float* xr = x0 + (kh * rs) + ((long)iw0 * c) + j;
                float* wr = wj + ((long)kh * 3 * c);
                for (int kw = kw0; kw < kw1; kw++)
                {
                    acc = Vector512.FusedMultiplyAdd(Vector512.Load(xr + ((long)kw * c)), Vector512.Load(wr + ((long)kw * c)), acc);
                }
            }

            Vector512.MinNative(hi, Vector512.MaxNative(lo, acc)).Store(yrow + ((long)e * c) + j);
        }
    }

    /// <summary>
    /// The four-column 3x3 loop keeps 9 weights, 4 accumulators and up to 9 inputs in registers: NEON's 32 hold them
    /// (128-bit vectors; x64's 128-bit fallback takes it too, so the x64 tests run it); AVX2's 16 do not, and an A/B on
    /// MobileNetV2 224² showed no gain there (AVX-512 runs its own, <see cref="Rows3x3Wide"/>: −25% depthwise time).
    /// </summary>
    private static readonly bool Columns4 = Vector<float>.Count == 4;

    /// <summary>The same as the Vector512 <see cref="Row4(float*, int, int, Vector512{float}, Vector512{float}, Vector512{float}, ref Vector512{float}, ref Vector512{float}, ref Vector512{float}, ref Vector512{float})"/>, one Vector&lt;float&gt; of channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row4(float* q, int c, int sw, Vector<float> k0, Vector<float> k1, Vector<float> k2, ref Vector<float> a0, ref Vector<float> a1, ref Vector<float> a2, ref Vector<float> a3)
    {
        var x0 = Unsafe.ReadUnaligned<Vector<float>>(q);
        var x1 = Unsafe.ReadUnaligned<Vector<float>>(q + c);
        var x2 = Unsafe.ReadUnaligned<Vector<float>>(q + (2 * c));
        var x3 = Unsafe.ReadUnaligned<Vector<float>>(q + (3 * c));
        var x4 = Unsafe.ReadUnaligned<Vector<float>>(q + (4 * c));
        if (sw == 1)
        {
            var x5 = Unsafe.ReadUnaligned<Vector<float>>(q + (5 * c));
            a0 = Vector.FusedMultiplyAdd(x2, k2, Vector.FusedMultiplyAdd(x1, k1, Vector.FusedMultiplyAdd(x0, k0, a0)));
            a1 = Vector.FusedMultiplyAdd(x3, k2, Vector.FusedMultiplyAdd(x2, k1, Vector.FusedMultiplyAdd(x1, k0, a1)));
            a2 = Vector.FusedMultiplyAdd(x4, k2, Vector.FusedMultiplyAdd(x3, k1, Vector.FusedMultiplyAdd(x2, k0, a2)));
            a3 = Vector.FusedMultiplyAdd(x5, k2, Vector.FusedMultiplyAdd(x4, k1, Vector.FusedMultiplyAdd(x3, k0, a3)));
            return;
        }

        var x5s = Unsafe.ReadUnaligned<Vector<float>>(q + (5 * c));
        var x6 = Unsafe.ReadUnaligned<Vector<float>>(q + (6 * c));
        var x7 = Unsafe.ReadUnaligned<Vector<float>>(q + (7 * c));
        var x8 = Unsafe.ReadUnaligned<Vector<float>>(q + (8 * c));
        a0 = Vector.FusedMultiplyAdd(x2, k2, Vector.FusedMultiplyAdd(x1, k1, Vector.FusedMultiplyAdd(x0, k0, a0)));
        a1 = Vector.FusedMultiplyAdd(x4, k2, Vector.FusedMultiplyAdd(x3, k1, Vector.FusedMultiplyAdd(x2, k0, a1)));
        a2 = Vector.FusedMultiplyAdd(x6, k2, Vector.FusedMultiplyAdd(x5s, k1, Vector.FusedMultiplyAdd(x4, k0, a2)));
        a3 = Vector.FusedMultiplyAdd(x8, k2, Vector.FusedMultiplyAdd(x7, k1, Vector.FusedMultiplyAdd(x6, k0, a3)));
    }

    /// <summary>
    /// One input row's three taps into four adjacent output columns, 16 channels: q points at the first column's window
    /// in that row (x: [W, C] row, c floats per column); stride 1 reads 6 columns, stride 2 reads 9.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row4(float* q, int c, int sw, Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3) =>
        Row4(new FloatColumns(q, c), sw, k0, k1, k2, ref a0, ref a1, ref a2, ref a3);

    /// <summary>The same over an int8 row (each column's 16 values widened to floats); q: [W, C] int8 row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row4Int8(sbyte* q, int c, int sw, Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3) =>
        Row4(new Int8Columns(q, c), sw, k0, k1, k2, ref a0, ref a1, ref a2, ref a3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row4<TColumns>(TColumns x, int sw, Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3)
        where TColumns : struct, IColumns
    {
        var x0 = x.At(0);
        var x1 = x.At(1);
        var x2 = x.At(2);
        var x3 = x.At(3);
        var x4 = x.At(4);
        if (sw == 1)
        {
            var x5 = x.At(5);
            a0 = Vector512.FusedMultiplyAdd(x2, k2, Vector512.FusedMultiplyAdd(x1, k1, Vector512.FusedMultiplyAdd(x0, k0, a0)));
            a1 = Vector512.FusedMultiplyAdd(x3, k2, Vector512.FusedMultiplyAdd(x2, k1, Vector512.FusedMultiplyAdd(x1, k0, a1)));
            a2 = Vector512.FusedMultiplyAdd(x4, k2, Vector512.FusedMultiplyAdd(x3, k1, Vector512.FusedMultiplyAdd(x2, k0, a2)));
            a3 = Vector512.FusedMultiplyAdd(x5, k2, Vector512.FusedMultiplyAdd(x4, k1, Vector512.FusedMultiplyAdd(x3, k0, a3)));
            return;
        }

        var x5s = x.At(5);
        var x6 = x.At(6);
        var x7 = x.At(7);
        var x8 = x.At(8);
        a0 = Vector512.FusedMultiplyAdd(x2, k2, Vector512.FusedMultiplyAdd(x1, k1, Vector512.FusedMultiplyAdd(x0, k0, a0)));
        a1 = Vector512.FusedMultiplyAdd(x4, k2, Vector512.FusedMultiplyAdd(x3, k1, Vector512.FusedMultiplyAdd(x2, k0, a1)));
        a2 = Vector512.FusedMultiplyAdd(x6, k2, Vector512.FusedMultiplyAdd(x5s, k1, Vector512.FusedMultiplyAdd(x4, k0, a2)));
        a3 = Vector512.FusedMultiplyAdd(x8, k2, Vector512.FusedMultiplyAdd(x7, k1, Vector512.FusedMultiplyAdd(x6, k0, a3)));
    }

    /// <summary>Column k of an input row as 16 floats (a struct, so each <see cref="Row4{TColumns}"/> is compiled for its source).</summary>
    private interface IColumns
    {
        Vector512<float> At(int k);
    }

    private readonly struct FloatColumns(float* q, int c) : IColumns
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> At(int k) => Vector512.Load(q + ((long)k * c));
    }

    private readonly struct Int8Columns(sbyte* q, int c) : IColumns
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> At(int k) => Int8AsFloat(q + ((long)k * c));
    }

    // dy: [B, OH, OW, C·M]  w: [KH, KW, C·M]  →  dx: [B, H, W, C] for images [n0, n1) (cleared first): each tap scatters dy·w
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardData(float* dy, int n0, int n1, in Window g, float* w, int m, float* dx)
    {
        int c = g.InC;
        long inImage = (long)g.InH * g.InW * c, outImage = (long)g.OutH * g.OutW * c * m;
        if (m != 1)
        {
            int count = n1 - n0;
            Reference.DepthwiseConv2D.BackwardData(new ReadOnlySpan<float>(dy + (n0 * outImage), (int)(count * outImage)), count, g,
                new ReadOnlySpan<float>(w, g.KH * g.KW * c * m), m, new Span<float>(dx + (n0 * inImage), (int)(count * inImage)));
            return;
        }

        int lanes = Vector<float>.Count;
        new Span<float>(dx + (n0 * inImage), (int)((n1 - n0) * inImage)).Clear();
        for (int n = n0; n < n1; n++)
        {
            float* dxn = dx + (n * inImage);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int ih0 = (oh * g.SH) - g.PadTop;
                int kh0 = Math.Max(0, -ih0), kh1 = Math.Min(g.KH, g.InH - ih0);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int iw0 = (ow * g.SW) - g.PadLeft;
                    int kw0 = Math.Max(0, -iw0), kw1 = Math.Min(g.KW, g.InW - iw0);
                    float* gp = dy + (n * outImage) + ((((long)oh * g.OutW) + ow) * c);
                    for (int kh = kh0; kh < kh1; kh++)
                    {
                        for (int kw = kw0; kw < kw1; kw++)
                        {
                            float* dp = dxn + ((((long)(ih0 + kh) * g.InW) + iw0 + kw) * c);
                            float* wp = w + ((((long)kh * g.KW) + kw) * c);
                            int j = 0;
                            for (; j <= c - lanes; j += lanes)
                            {
                                Unsafe.WriteUnaligned(dp + j, Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(gp + j), Unsafe.ReadUnaligned<Vector<float>>(wp + j), Unsafe.ReadUnaligned<Vector<float>>(dp + j)));
                            }

                            for (; j < c; j++)
                            {
                                dp[j] += gp[j] * wp[j];
                            }
                        }
                    }
                }
            }
        }
    }

    // x: [B, H, W, C]  dy: [B, OH, OW, C·M]  →  adds the images [n0, n1)'s share of dw: [KH, KW, C·M] into dw (the caller clears it)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardFilter(float* x, float* dy, int n0, int n1, in Window g, int m, float* dw)
    {
        int c = g.InC, f = c * m;
        long inImage = (long)g.InH * g.InW * c, outImage = (long)g.OutH * g.OutW * f;
        int lanes = Vector<float>.Count;
        for (int n = n0; n < n1; n++)
        {
            float* xn = x + (n * inImage);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int ih0 = (oh * g.SH) - g.PadTop;
                int kh0 = Math.Max(0, -ih0), kh1 = Math.Min(g.KH, g.InH - ih0);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int iw0 = (ow * g.SW) - g.PadLeft;
                    int kw0 = Math.Max(0, -iw0), kw1 = Math.Min(g.KW, g.InW - iw0);
                    float* gp = dy + (n * outImage) + ((((long)oh * g.OutW) + ow) * f);
                    for (int kh = kh0; kh < kh1; kh++)
                    {
                        for (int kw = kw0; kw < kw1; kw++)
                        {
                            float* xp = xn + ((((long)(ih0 + kh) * g.InW) + iw0 + kw) * c);
                            float* wp = dw + ((((long)kh * g.KW) + kw) * f);
                            int j = 0;
                            if (m == 1)
                            {
                                for (; j <= c - lanes; j += lanes)
                                {
                                    Unsafe.WriteUnaligned(wp + j, Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xp + j), Unsafe.ReadUnaligned<Vector<float>>(gp + j), Unsafe.ReadUnaligned<Vector<float>>(wp + j)));
                                }
                            }

                            for (; j < f; j++)
                            {
                                wp[j] += xp[j / m] * gp[j];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>4-byte values of scratch <see cref="Int8"/> needs per thread: the VNNI ring of column pairs, the float ring, one output row of int32 accumulators, or none.</summary>
    public static long Int8ScratchInts(in Window g, int m) => Int8Vnni3x3(g, m) ? Int8Vnni.Depthwise3x3RingVectors(g.OutW, g.SW) * 16
        : Int8Ring(g, m) ? RingFloats(g) : Int8Wide(g, m) ? 0 : (long)g.OutW * g.InC * m;

    /// <summary>
    /// True when <see cref="Int8"/> runs the AVX512-VNNI 3x3 rows (<see cref="Int8Vnni.Depthwise3x3"/>: multiplier 1,
    /// stride 1 or 2 across; integer pair multiply-adds where the AVX-512 rows widen to floats), whose ring the scratch holds.
    /// </summary>
    private static bool Int8Vnni3x3(in Window g, int m) =>
        m == 1 && g.KH == 3 && g.KW == 3 && g.SW is 1 or 2 && Int8Vnni.Available;

    /// <summary>True when <see cref="Int8"/>'s rows carry the padding in a ring of their own (<see cref="Int8Vnni3x3"/> or <see cref="Int8Ring"/>): a bordered copy would be wasted.</summary>
    public static bool Int8PadsItself(in Window g, int m) => Int8Vnni3x3(g, m) || Int8Ring(g, m);

    /// <summary>
    /// True when <see cref="Int8"/> runs the AVX-512 3x3 rows (with <see cref="Int8Ring"/>, the 5x5 ones too), which
    /// requantize in the registers: a 3x3 kernel, multiplier 1
    /// (any channel count: a last group of fewer than 16 channels reads whole vectors — the op pads the weights and the
    /// biases by 16 values, and every arena keeps 64 readable bytes after its end — and stores its own lanes only).
    /// </summary>
    private static bool Int8Wide(in Window g, int m) =>
        m == 1 && g.KH == 3 && g.KW == 3 && Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported;

    /// <summary>
    /// True when <see cref="Int8"/> runs the AVX-512 rows over a float ring (<see cref="Int8RingRows"/>: 3x3 at stride 1
    /// across, 5x5 at stride 1 or 2), which need no bordered copy.
    /// </summary>
    public static bool Int8Ring(in Window g, int m) =>
        m == 1 && g.KH == g.KW && ((g.KH == 3 && g.SW == 1) || (g.KH == 5 && g.SW <= 2)) && Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported;

    // x int8 [B, H, W, C] (zero point zx)  w: the int8 kernel [KH, KW, C·M] widened to int32, wf: the same as floats  bias int32 [C·M]
    // → y int8 [B, OH, OW, C·M], images [n0, n1), each output row accumulated in acc [OW, C·M] and requantized by the table
    // (the AVX-512 rows, Int8Wide or Int8Ring, requantize in the registers instead: acc holds the ring, Int8ScratchInts sizes it)
    // Output rows [oh0, oh1) of each image.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    // foldedBias: [C·M] bias − zx·Σ_taps w (every tap inside the image, or the ring's zx padding); null: none.
    public static void Int8(sbyte* x, int n0, int n1, int oh0, int oh1, in Window g, int zx, int* w, float* wf, int* bias, int* foldedBias, RequantTable table, int m, int zy, int lo, int hi, int* acc, sbyte* y)
    {
        int c = g.InC, f = c * m;
        int lanes = Vector<int>.Count;
        var zv = new Vector<int>(zx);
        long rs = (long)g.InW * c;
        int lastInside = g.InW - g.KW + g.PadLeft;
        int owA = Math.Min(g.OutW, (g.PadLeft + g.SW - 1) / g.SW), owB = lastInside < 0 ? owA : Math.Max(owA, Math.Min(g.OutW, (lastInside / g.SW) + 1));
        bool fast = m == 1 && g.KH == 3 && g.KW == 3 && foldedBias is not null && c >= lanes;
        if (Int8Vnni3x3(g, m))
        {
            // AVX512-VNNI: integer pairs of columns, requantized in the registers; acc holds the ring.
            ArgumentNullException.ThrowIfNull(foldedBias);
            for (int n = n0; n < n1; n++)
            {
                Int8Vnni.Depthwise3x3(x + ((long)n * g.InH * g.InW * c), g.InH, g.InW, c, g.SH, g.SW, g.PadTop, g.PadLeft, g.OutW, oh0, oh1, zx, w, foldedBias, table.Scales, zy, lo, hi, acc, y + ((long)n * g.OutH * g.OutW * f));
            }

            return;
        }

        if (Int8Wide(g, m) || Int8Ring(g, m))
        {
            // AVX-512: whole rows 16 channels at a time, edges and rows in the padding included, requantized in the registers.
            ArgumentNullException.ThrowIfNull(foldedBias);
            var q = new LayerRequant16(zy, lo, hi);
            bool ring = Int8Ring(g, m);
            for (int n = n0; n < n1; n++)
            {
                sbyte* xn = x + ((long)n * g.InH * g.InW * c), yn = y + ((long)n * g.OutH * g.OutW * f);
                if (ring)
                {
                    Int8RingRows(xn, oh0, oh1, g, zx, wf, foldedBias, q, table.Scales, (float*)acc, yn);
                }
                else
                {
                    Int8Rows3x3Wide(xn, oh0, oh1, g, owA, owB, zx, wf, bias, foldedBias, q, table.Scales, yn);
                }
            }

            return;
        }

        for (int n = n0; n < n1; n++)
        {
            sbyte* xn = x + ((long)n * g.InH * g.InW * c);
            for (int oh = oh0; oh < oh1; oh++)
            {
                int ih0 = (oh * g.SH) - g.PadTop;
                int kh0 = Math.Max(0, -ih0), kh1 = Math.Min(g.KH, g.InH - ih0);
                bool inner = fast && ih0 >= 0 && ih0 + 3 <= g.InH && owB > owA;
                if (inner)
                {
                    // The columns whose 3x3 window is inside the image: a vector of channels at a time along the row, its
                    // nine widened weights in registers, the zero point folded into the bias (every tap is a pixel).
                    int j = 0;
                    for (; j <= c - lanes; j += lanes)
                    {
                        int* wj = w + j;
                        var w0 = Unsafe.ReadUnaligned<Vector<int>>(wj);
                        var w1 = Unsafe.ReadUnaligned<Vector<int>>(wj + c);
                        var w2 = Unsafe.ReadUnaligned<Vector<int>>(wj + (2 * c));
                        var w3 = Unsafe.ReadUnaligned<Vector<int>>(wj + (3 * c));
                        var w4 = Unsafe.ReadUnaligned<Vector<int>>(wj + (4 * c));
                        var w5 = Unsafe.ReadUnaligned<Vector<int>>(wj + (5 * c));
                        var w6 = Unsafe.ReadUnaligned<Vector<int>>(wj + (6 * c));
                        var w7 = Unsafe.ReadUnaligned<Vector<int>>(wj + (7 * c));
                        var w8 = Unsafe.ReadUnaligned<Vector<int>>(wj + (8 * c));
                        var fb = Unsafe.ReadUnaligned<Vector<int>>(foldedBias + j);
                        sbyte* p = xn + ((long)ih0 * rs) + (((long)(owA * g.SW) - g.PadLeft) * c) + j;
                        long step = (long)g.SW * c;
                        int* ap = acc + ((long)owA * f) + j;
                        for (int ow = owA; ow < owB; ow++, p += step, ap += f)
                        {
                            var s0 = fb + (WidenToInt(p) * w0) + (WidenToInt(p + c) * w1) + (WidenToInt(p + (2 * c)) * w2);
                            var s1 = (WidenToInt(p + rs) * w3) + (WidenToInt(p + rs + c) * w4) + (WidenToInt(p + rs + (2 * c)) * w5);
                            var s2 = (WidenToInt(p + (2 * rs)) * w6) + (WidenToInt(p + (2 * rs) + c) * w7) + (WidenToInt(p + (2 * rs) + (2 * c)) * w8);
                            Unsafe.WriteUnaligned(ap, s0 + s1 + s2);
                        }
                    }

                    for (; j < c; j++)
                    {
                        for (int ow = owA; ow < owB; ow++)
                        {
                            int iw0 = (ow * g.SW) - g.PadLeft, sum = bias[j];
                            for (int kh = 0; kh < 3; kh++)
                            {
                                for (int kw = 0; kw < 3; kw++)
                                {
                                    sum += (xn[((((long)(ih0 + kh) * g.InW) + iw0 + kw) * c) + j] - zx) * w[((((long)kh * 3) + kw) * c) + j];
                                }
                            }

                            acc[((long)ow * f) + j] = sum;
                        }
                    }
                }

                for (int ow = 0; ow < g.OutW; ow++)
                {
                    if (inner && ow == owA)
                    {
                        ow = owB - 1;
                        continue;
                    }

                    int iw0 = (ow * g.SW) - g.PadLeft;
                    int kw0 = Math.Max(0, -iw0), kw1 = Math.Min(g.KW, g.InW - iw0);
                    int* ap = acc + ((long)ow * f);
                    int j = 0;
                    if (m == 1)
                    {
                        for (; j <= c - lanes; j += lanes)
                        {
                            var s = Unsafe.ReadUnaligned<Vector<int>>(bias + j);
                            for (int kh = kh0; kh < kh1; kh++)
                            {
                                for (int kw = kw0; kw < kw1; kw++)
                                {
                                    var xv = WidenToInt(xn + ((((long)(ih0 + kh) * g.InW) + iw0 + kw) * c) + j);
                                    s += (xv - zv) * Unsafe.ReadUnaligned<Vector<int>>(w + ((((long)kh * g.KW) + kw) * c) + j);
                                }
                            }

                            Unsafe.WriteUnaligned(ap + j, s);
                        }
                    }

                    for (; j < f; j++)
                    {
                        int s = bias[j];
                        for (int kh = kh0; kh < kh1; kh++)
                        {
                            for (int kw = kw0; kw < kw1; kw++)
                            {
                                s += (xn[((((long)(ih0 + kh) * g.InW) + iw0 + kw) * c) + (j / m)] - zx) * w[((((long)kh * g.KW) + kw) * f) + j];
                            }
                        }

                        ap[j] = s;
                    }
                }

                table.Block(acc, g.OutW, 0, f, zy, lo, y + ((((long)n * g.OutH) + oh) * g.OutW * f), hi);
            }
        }
    }

    /// <summary>The nine 3x3 tap weights of 16 channels: w [KH·KW, C] at the first channel, c channels per tap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadTaps(float* w, int c, out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> w2, out Vector512<float> w3, out Vector512<float> w4, out Vector512<float> w5, out Vector512<float> w6, out Vector512<float> w7, out Vector512<float> w8)
    {
        (w0, w1, w2) = (Vector512.Load(w), Vector512.Load(w + c), Vector512.Load(w + (2 * c)));
        (w3, w4, w5) = (Vector512.Load(w + (3 * c)), Vector512.Load(w + (4 * c)), Vector512.Load(w + (5 * c)));
        (w6, w7, w8) = (Vector512.Load(w + (6 * c)), Vector512.Load(w + (7 * c)), Vector512.Load(w + (8 * c)));
    }

    /// <summary>Vector&lt;int&gt;.Count int8 values sign-extended to int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<int> WidenToInt(sbyte* p)
    {
        if (Vector<int>.Count == 8 && System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            return Vector256.AsVector(System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32(p));   // vpmovsxbd
        }

        if (Vector<int>.Count == 4)
        {
            var b = Vector128.CreateScalar(*(int*)p).AsSByte();
            return Vector128.AsVector(Vector128.WidenLower(Vector128.WidenLower(b)));   // sxtl, sxtl
        }

        Span<int> t = stackalloc int[Vector<int>.Count];
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = p[i];
        }

        return new Vector<int>(t);
    }
}
