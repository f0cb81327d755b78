using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using EdgeNet.Kernels.Reference;
using RefAct = EdgeNet.Kernels.Reference.Activations;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Depthwise convolution over NHWC with channels across vector lanes (depth multiplier 1, the case
/// MobileNet and every torchvision family use; other multipliers run the reference twin): float
/// forward with fused activation, both backward passes, and int8 with per-channel requantization.
/// Each call covers images [n0, n1) so the caller can split a batch between threads.
/// </summary>
internal static unsafe class DepthwiseConv2D
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
        for (int n = n0; n < n1; n++)
        {
            float* xn = x + ((long)n * g.InH * g.InW * c);
            for (int oh = oh0; oh < oh1; oh++)
            {
                int ih0 = (oh * g.SH) - g.PadTop;
                int kh0 = Math.Max(0, -ih0), kh1 = Math.Min(g.KH, g.InH - ih0);
                float* yrow = y + ((((long)n * g.OutH) + oh) * g.OutW * c);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int iw0 = (ow * g.SW) - g.PadLeft;
                    int kw0 = Math.Max(0, -iw0), kw1 = Math.Min(g.KW, g.InW - iw0);
                    float* yp = yrow + ((long)ow * c);
                    int j = 0;
                    for (; j <= c - lanes; j += lanes)
                    {
                        var acc = b is null ? Vector<float>.Zero : Unsafe.ReadUnaligned<Vector<float>>(b + j);
                        for (int kh = kh0; kh < kh1; kh++)
                        {
                            float* xr = xn + ((((long)(ih0 + kh) * g.InW) + iw0) * c) + j;
                            float* wr = w + ((long)kh * g.KW * c) + j;
                            for (int kw = kw0; kw < kw1; kw++)
                            {
                                acc = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xr + ((long)kw * c)), Unsafe.ReadUnaligned<Vector<float>>(wr + ((long)kw * c)), acc);
                            }
                        }

                        Unsafe.WriteUnaligned(yp + j, Vector.Min(Vector.Max(acc, lo), hi));
                    }

                    for (; j < c; j++)
                    {
                        float s = b is null ? 0f : b[j];
                        for (int kh = kh0; kh < kh1; kh++)
                        {
                            for (int kw = kw0; kw < kw1; kw++)
                            {
                                s += xn[((((long)(ih0 + kh) * g.InW) + iw0 + kw) * c) + j] * w[(((long)kh * g.KW + kw) * c) + j];
                            }
                        }

                        yp[j] = RefAct.Scalar(act, s);
                    }
                }
            }
        }
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

    /// <summary>Int32 accumulators <see cref="Int8"/> needs per thread: one output row.</summary>
    public static long Int8ScratchInts(in Window g, int m) => (long)g.OutW * g.InC * m;

    // x int8 [B, H, W, C] (zero point zx)  w: the int8 kernel [KH, KW, C·M] widened to int32  bias int32 [C·M]
    // → y int8 [B, OH, OW, C·M], images [n0, n1), each output row accumulated in acc [OW, C·M] and requantized by the table
    // Output rows [oh0, oh1) of each image.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Int8(sbyte* x, int n0, int n1, int oh0, int oh1, in Window g, int zx, int* w, int* bias, RequantTable table, int m, int zy, int lo, int hi, int* acc, sbyte* y)
    {
        int c = g.InC, f = c * m;
        int lanes = Vector<int>.Count;
        var zv = new Vector<int>(zx);
        for (int n = n0; n < n1; n++)
        {
            sbyte* xn = x + ((long)n * g.InH * g.InW * c);
            for (int oh = oh0; oh < oh1; oh++)
            {
                int ih0 = (oh * g.SH) - g.PadTop;
                int kh0 = Math.Max(0, -ih0), kh1 = Math.Min(g.KH, g.InH - ih0);
                for (int ow = 0; ow < g.OutW; ow++)
                {
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
