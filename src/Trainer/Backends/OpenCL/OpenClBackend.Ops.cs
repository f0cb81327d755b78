namespace EdgeNet.Trainer.Backends.OpenCL;

/// <summary>The IBackend kernels: thin launches of Kernels.cl, shapes as in <see cref="IBackend"/>.</summary>
internal sealed partial class OpenClBackend
{
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, Storage b, float beta, Storage c)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        _profileLabel = _profile is null ? null : $"{m}x{n}x{k}{(transA ? " tA" : "")}{(transB ? " tB" : "")}";
        try
        {
            GemmLaunch(transA, transB, m, n, k, alpha, a, b, beta, c);
        }
        finally
        {
            _profileLabel = null;
        }
    }

    private void GemmLaunch(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, Storage b, float beta, Storage c)
    {
        if (GpuKernels)
        {
            Launch2D("gemm_tiled", n, m, 16, 16, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, b, beta, c);
        }
        else if (transB && beta == 0f && (long)n * k > ((long)m * k) + ((long)m * n))
        {
            // B [n, k] is the big operand (a dense layer's input gradient: dY·Wᵀ): rather than
            // transposing it, compute Cᵀ [n, m] = B·Aᵀ with B row-major as it is, transposing only
            // A (when it is not already stored [k, m]) and the small result.
            var at = transA ? a : Allocate(m * k);
            var ct = Allocate(n * m);
            try
            {
                if (!transA)
                {
                    Launch("transpose", m * k, a, at, m, k);
                }

                GemmBlock(false, n, m, k, alpha, b, at, 0f, ct);
                Launch("transpose", n * m, ct, c, n, m);
            }
            finally
            {
                ct.Release();
                if (!transA)
                {
                    at.Release();
                }
            }
        }
        else if (transB)
        {
            // The float16 block kernel wants B row-major: transpose B [n, k] into a pooled [k, n] first.
            var bt = Allocate(n * k);
            try
            {
                Launch("transpose", n * k, b, bt, n, k);
                GemmBlock(transA, m, n, k, alpha, a, bt, beta, c);
            }
            finally
            {
                bt.Release();
            }
        }
        else
        {
            GemmBlock(transA, m, n, k, alpha, a, b, beta, c);
        }
    }

    /// <summary>The CPU-device GEMM: 8×16 blocks per work-item; few rows walk the row blocks first.</summary>
    private void GemmBlock(bool transA, int m, int n, int k, float alpha, Storage a, Storage b, float beta, Storage c)
    {
        bool rowsFirst = m <= 64;
        int colBlocks = (n + 15) / 16, rowBlocks = (m + 7) / 8;
        Launch2D("gemm_block", rowsFirst ? rowBlocks : colBlocks, rowsFirst ? colBlocks : rowBlocks, 0, 0, transA ? 1 : 0, 0, m, n, k, alpha, a, b, beta, c, rowsFirst ? 1 : 0);
    }

    public void AddBias(Storage x, Storage bias, Storage y, int rows, int cols)
    {
        if (cols % 16 == 0)
        {
            Launch("add_bias16", rows * cols / 16, x, bias, y, cols);
        }
        else
        {
            Launch("add_bias", rows * cols, x, bias, y, cols);
        }
    }

    public void BiasGrad(Storage dy, Storage db, int rows, int cols, bool accumulate)
    {
        if (cols % 16 == 0 && !GpuKernels)
        {
            // One work-item per 16 columns: few work-items, which a CPU device's cores share well.
            Launch("bias_grad16", cols / 16, dy, db, rows, cols, accumulate);
        }
        else
        {
            Launch("bias_grad", cols, dy, db, rows, cols, accumulate);
        }
    }

    private static int Act(Activation a) => a switch
    {
        Activation.Relu => 1, Activation.Sigmoid => 2, Activation.Tanh => 3, Activation.Relu6 => 4,
        Activation.HardSigmoid => 5, Activation.HardSwish => 6, Activation.Silu => 7, _ => 0,
    };

    public void ActivationForward(Activation act, Storage x, Storage y, int n) => Launch("act_fwd", n, Act(act), x, y);

    public void ActivationBackward(Activation act, Storage y, Storage dy, Storage dx, int n) => Launch("act_bwd", n, Act(act), y, dy, dx);

    public void ActivationBackwardFromInput(Activation act, Storage x, Storage dy, Storage dx, int n) => Launch("act_bwd_x", n, Act(act), x, dy, dx);

    public void Binary(BinaryOp op, Storage a, Storage b, Storage y, int n, int bLength) => Launch("binary_op", n, (int)op, a, b, y, bLength);

    public void Unary(UnaryOp op, Storage x, Storage y, int n) => Launch("unary_op", n, (int)op, x, y);

    public void Affine(Storage x, Storage y, int n, float scale, float shift) => Launch("affine", n, x, y, scale, shift);

    public void ReduceSum(Storage x, Storage y, int outer, int reduce, int inner, bool mean) =>
        Launch("reduce_sum", outer * inner, x, y, reduce, inner, mean ? 1f / reduce : 1f);

    public void ReduceMax(Storage x, Storage y, Storage idx, int outer, int reduce, int inner) => Launch("reduce_max", outer * inner, x, y, idx, reduce, inner);

    public void ReduceMaxBackward(Storage dy, Storage idx, Storage dx, int outer, int reduce, int inner) =>
        Launch("reduce_max_bwd", outer * reduce * inner, dy, idx, dx, reduce, inner);

    public void Broadcast(Storage x, Storage y, int outer, int reduce, int inner, float scale) =>
        Launch("broadcast", outer * reduce * inner, x, y, reduce, inner, scale);

    public void Softmax(Storage x, Storage y, int rows, int cols) => Launch("softmax", rows, x, y, cols);

    public void SoftmaxBackward(Storage y, Storage dy, Storage dx, int rows, int cols) => Launch("softmax_bwd", rows, y, dy, dx, cols);

    public void SparseCrossEntropy(Storage input, Storage labels, Storage loss, Storage probs, int rows, int cols, bool fromLogits, float eps)
    {
        // Labels are checked on the host first: a bad label must be an error, not a device fault.
        var l = new float[rows];
        Download(labels, l);
        for (int r = 0; r < rows; r++)
        {
            if (l[r] < 0 || l[r] >= cols || l[r] != MathF.Floor(l[r]))
            {
                throw new ArgumentOutOfRangeException(nameof(labels), $"label {l[r]} at row {r} is not a class index in 0..{cols - 1}: check that the labels match the model's {cols} outputs");
            }
        }

        Launch("sparse_ce", rows, input, labels, loss, probs, cols, fromLogits, eps);
    }

    public void SparseCrossEntropyBackward(Storage input, Storage probs, Storage labels, Storage dloss, Storage dinput, int rows, int cols, bool fromLogits, float eps) =>
        Launch("sparse_ce_bwd", rows, input, probs, labels, dloss, dinput, cols, fromLogits, eps);

    public void OneHot(Storage labels, Storage y, int rows, int depth) => Launch("one_hot", rows * depth, labels, y, depth);

    public void Slice(Storage x, Storage y, int outer, int count, int inner, int start, int length) =>
        Launch("slice_fwd", outer * length * inner, x, y, count, inner, start, length);

    public void SliceBackward(Storage dy, Storage dx, int outer, int count, int inner, int start, int length) =>
        Launch("slice_bwd", outer * length * inner, dy, dx, count, inner, start, length);

    /// <summary>
    /// The geometry as a small device buffer, uploaded once per distinct geometry and kept (an
    /// upload is a blocking write, which would drain the queue on every convolution).
    /// </summary>
    private Storage Geometry(in Conv2DGeometry g)
    {
        lock (_geometries)
        {
            if (_geometries.TryGetValue(g, out var cached))
            {
                return cached;
            }

            var s = Allocate(13);
            int[] v = [g.Batch, g.InH, g.InW, g.InC, g.KH, g.KW, g.OutC, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.OutH, g.OutW];
            Upload(System.Runtime.InteropServices.MemoryMarshal.Cast<int, float>(v), s);
            _geometries[g] = s;
            return s;
        }
    }

    /// <summary>Runs <paramref name="body"/> with a pooled cols buffer [B·OH·OW, KKC] (filled by im2col of x when given) and the geometry.</summary>
    private void WithCols(in Conv2DGeometry g, Storage? x, Action<Storage, Storage> body)
    {
        int rows = g.Batch * g.OutH * g.OutW, kkc = g.KH * g.KW * g.InC;
        var geo = Geometry(g);
        var cols = Allocate(rows * kkc);
        try
        {
            if (x is not null)
            {
                Launch("im2col", rows * g.KH, x, cols, geo);
            }

            body(cols, geo);
        }
        finally
        {
            cols.Release();
        }
    }

    public void Conv2DForward(in Conv2DGeometry g, Storage x, Storage w, Storage y)
    {
        // y[B·OH·OW, F] = im2col(x)[B·OH·OW, KKC] · w[KKC, F]
        var (rows, kkc, f) = (g.Batch * g.OutH * g.OutW, g.KH * g.KW * g.InC, g.OutC);
        WithCols(g, x, (cols, _) => Gemm(false, false, rows, f, kkc, 1f, cols, w, 0f, y));
    }

    public void Conv2DBackwardData(in Conv2DGeometry g, Storage dy, Storage w, Storage dx)
    {
        if (!GpuKernels && g.InC % 16 == 0)
        {
            // Direct: 16 input channels per work-item from the weights transposed to [KH, KW, F, C].
            var geo = Geometry(g);
            var wt = Allocate(g.KH * g.KW * g.OutC * g.InC);
            try
            {
                Launch("conv_wt", g.KH * g.KW * g.OutC * g.InC, w, wt, g.InC, g.OutC);
                if (g.StrideH == 1 && g.StrideW == 1 && g.OutC % 16 == 0)
                {
                    // Stride 1: a check-free correlation over dy padded so every tap exists
                    // (eight pixels per work-item, the width rounded up to whole groups of eight).
                    int top = g.KH - 1 - g.PadTop, left = g.KW - 1 - g.PadLeft;
                    int hp = g.InH + g.KH - 1, wp = ((g.InW + 7) / 8 * 8) + g.KW - 1;
                    var dyp = Allocate(g.Batch * hp * wp * g.OutC);
                    try
                    {
                        Launch("pad_nhwc16", g.Batch * hp * wp, dy, dyp, g.OutH, g.OutW, g.OutC, hp, wp, top, left);
                        Launch("conv_dx1", g.Batch * g.InH * ((g.InW + 7) / 8) * (g.InC / 16), dyp, wt, dx, geo, hp, wp);
                    }
                    finally
                    {
                        dyp.Release();
                    }
                }
                else
                {
                    Launch("conv_dx", g.Batch * g.InH * ((g.InW + 3) / 4) * (g.InC / 16), dy, wt, dx, geo);
                }
            }
            finally
            {
                wt.Release();
            }

            return;
        }

        // dcols = dy · wᵀ, then col2im gathers it into dx
        var (rows, kkc, f, n) = (g.Batch * g.OutH * g.OutW, g.KH * g.KW * g.InC, g.OutC, g.InputSize);
        WithCols(g, null, (cols, geo) =>
        {
            Gemm(false, true, rows, kkc, f, 1f, dy, w, 0f, cols);
            Launch("col2im", n, cols, dx, geo);
        });
    }

    public void Conv2DBackwardFilter(in Conv2DGeometry g, Storage x, Storage dy, Storage dw)
    {
        if (!GpuKernels && g.InC % 8 == 0 && g.OutC % 16 == 0)
        {
            // Direct: no cols buffer; each work-item sums one (kh, kw) 8×16 block over every pixel.
            var geo = Geometry(g);
            Launch("conv_dw", (g.OutC / 16) * (g.InC / 8) * g.KH * g.KW, x, dy, dw, geo);
            return;
        }

        if (!GpuKernels && g.OutC % 16 == 0 && g.InC < 8)
        {
            // Few input channels (the first layer): one (kh, kw, ci) per work-item.
            Launch("conv_dw_c", (g.OutC / 16) * g.InC * g.KH * g.KW, x, dy, dw, Geometry(g));
            return;
        }

        // dw[KKC, F] = colsᵀ · dy
        var (rows, kkc, f) = (g.Batch * g.OutH * g.OutW, g.KH * g.KW * g.InC, g.OutC);
        WithCols(g, x, (cols, _) => Gemm(true, false, kkc, f, rows, 1f, cols, dy, 0f, dw));
    }

    public void MaxPoolForward(in Conv2DGeometry g, Storage x, Storage y)
    {
        var geo = Geometry(g);
        if (g.InC % 16 == 0)
        {
            Launch("maxpool_fwd16", g.OutputSize / 16, x, y, geo);
        }
        else
        {
            Launch("maxpool_fwd", g.OutputSize, x, y, geo);
        }
    }

    public void MaxPoolBackward(in Conv2DGeometry g, Storage x, Storage y, Storage dy, Storage dx)
    {
        var geo = Geometry(g);
        if (g.StrideH >= g.KH && g.StrideW >= g.KW)
        {
            Fill(dx, 0f);
            if (g.InC % 16 == 0)
            {
                Launch("maxpool_scatter16", g.OutputSize / 16, x, y, dy, dx, geo);
            }
            else
            {
                Launch("maxpool_scatter", g.OutputSize, x, y, dy, dx, geo);
            }

            return;
        }

        var arg = Allocate(g.OutputSize);   // int argmax per output (4-byte elements)
        try
        {
            Launch("maxpool_argmax", g.OutputSize, x, y, arg, geo);
            Launch("maxpool_bwd", g.InputSize, arg, dy, dx, geo);
        }
        finally
        {
            arg.Release();
        }
    }

    public void LstmCellForward(Storage z, Storage cPrev, Storage h, Storage c, int batch, int units) =>
        Launch("lstm_fwd", batch * units, z, cPrev, h, c, units);

    public void LstmCellBackward(Storage z, Storage cPrev, Storage c, Storage? dh, Storage? dc, Storage dz, Storage dcPrev, int batch, int units) =>
        Launch("lstm_bwd", batch * units, z, cPrev, c, dh ?? c, dc ?? c, dh is not null, dc is not null, dz, dcPrev, units);

    public void Gather(Storage table, Storage idx, Storage y, int rows, int vocab, int dim) => Launch("gather_rows", rows * dim, table, idx, y, dim);

    public void GatherBackward(Storage dy, Storage idx, Storage dtable, int rows, int vocab, int dim) =>
        Launch("gather_bwd", vocab * dim, dy, idx, dtable, rows, dim);

    public void DropoutMask(Storage mask, int n, float rate, ulong seed) => Launch("dropout_mask", n, mask, seed, 1f - rate);

    public void AdamUpdate(Storage param, Storage grad, Storage m, Storage v, int n, float lrT, float beta1, float beta2, float epsHat)
    {
        if (n % 16 == 0)
        {
            Launch("adam16", n / 16, param, grad, m, v, lrT, beta1, beta2, epsHat);
        }
        else
        {
            Launch("adam", n, param, grad, m, v, lrT, beta1, beta2, epsHat);
        }
    }

    public void SgdUpdate(Storage param, Storage grad, Storage? velocity, int n, float lr, float momentum, bool nesterov) =>
        Launch("sgd", n, param, grad, velocity ?? grad, lr, momentum, nesterov, velocity is not null && momentum != 0);

    public int CountNonFinite(Storage x, int n) => CountNonFinite([(x, n)])[0];

    public int[] CountNonFinite(IReadOnlyList<(Storage Storage, int Length)> tensors)
    {
        if (tensors.Count == 0)
        {
            return [];
        }

        var counters = Allocate(tensors.Count);
        try
        {
            Fill(counters, 0f); // all-zero bits: int 0
            for (int i = 0; i < tensors.Count; i++)
            {
                if (tensors[i].Length % 16 == 0)
                {
                    Launch("count_nonfinite_at16", tensors[i].Length / 16, tensors[i].Storage, counters, i);
                }
                else
                {
                    Launch("count_nonfinite_at", tensors[i].Length, tensors[i].Storage, counters, i);
                }
            }

            var r = new float[tensors.Count];
            Download(counters, r);
            return r.Select(BitConverter.SingleToInt32Bits).ToArray();
        }
        finally
        {
            counters.Release();
        }
    }
}
