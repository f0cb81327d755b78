using EdgeNet.Formats.Contract;

namespace EdgeNet.Trainer.Backends;

/// <summary>The element-wise activation fused into a Dense or Conv2D kernel.</summary>
public enum Activation
{
    /// <summary>No activation.</summary>
    Linear,

    /// <summary>max(x, 0).</summary>
    Relu,

    /// <summary>Logistic sigmoid.</summary>
    Sigmoid,

    /// <summary>Hyperbolic tangent.</summary>
    Tanh,

    /// <summary>min(max(x, 0), 6) (Keras ReLU(max_value=6), MobileNet's activation).</summary>
    Relu6,

    /// <summary>min(max(x/6 + 1/2, 0), 1) (Keras 3's hard_sigmoid, PyTorch's Hardsigmoid; MobileNetV3's gates).</summary>
    HardSigmoid,

    /// <summary>x · hard_sigmoid(x) (Keras 3's hard_silu/hard_swish, PyTorch's Hardswish; MobileNetV3's activation).</summary>
    HardSwish,

    /// <summary>x · sigmoid(x) (Keras' silu/swish; EfficientNet's activation).</summary>
    Silu,
}

internal enum BinaryOp
{
    Add,
    Sub,
    Mul,
    Div,
}

internal enum UnaryOp
{
    Neg,
    Square,
    Exp,
    Log,
    Sqrt,
    Abs,
}

/// <summary>Geometry of a 2-D convolution or pooling window over NHWC input.</summary>
internal readonly record struct Conv2DGeometry(
    int Batch, int InH, int InW, int InC,
    int KH, int KW, int OutC,
    int StrideH, int StrideW,
    int PadTop, int PadLeft,
    int OutH, int OutW)
{
    /// <summary>Keras padding, by the blob contract's rules (<see cref="WindowGeometry"/>): 'valid' or 'same'.</summary>
    public static Conv2DGeometry Create(int batch, int inH, int inW, int inC, int kh, int kw, int outC, int strideH, int strideW, bool same)
    {
        var w = WindowGeometry.Create(inH, inW, kh, kw, strideH, strideW, same);
        return new Conv2DGeometry(batch, inH, inW, inC, kh, kw, outC, strideH, strideW, w.PadTop, w.PadLeft, w.OutH, w.OutW);
    }

    /// <summary>The geometry of a contract window (explicit pads or a Keras padding rule) over <paramref name="batch"/> images.</summary>
    public static Conv2DGeometry From(int batch, int inC, int outC, WindowGeometry w) =>
        new(batch, w.InH, w.InW, inC, w.KH, w.KW, outC, w.StrideH, w.StrideW, w.PadTop, w.PadLeft, w.OutH, w.OutW);

    /// <summary>The window over the whole image (global pooling): one output per image.</summary>
    public static Conv2DGeometry Global(int batch, int inH, int inW, int inC) => new(batch, inH, inW, inC, inH, inW, inC, 1, 1, 0, 0, 1, 1);

    public int InputSize => Batch * InH * InW * InC;

    public int OutputSize => Batch * OutH * OutW * OutC;

    public int KernelSize => KH * KW * InC * OutC;
}

/// <summary>
/// The compute backend: storage and the forward/backward kernels every op needs. Shapes are
/// given as sizes; all tensors are dense row-major floats (NHWC images, HWIO conv kernels).
/// The CPU backend implements it with SIMD; the OpenCL backend with device kernels.
/// </summary>
internal interface IBackend : IDisposable
{
    string Name { get; }

    /// <summary>A buffer of <paramref name="length"/> floats; contents undefined unless <paramref name="zero"/>.</summary>
    Storage Allocate(int length, bool zero = false);

    void Upload(ReadOnlySpan<float> source, Storage destination, int offset = 0);

    void Download(Storage source, Span<float> destination, int offset = 0);

    void Fill(Storage destination, float value);

    void Copy(Storage source, int sourceOffset, Storage destination, int destinationOffset, int length);

    /// <summary>c[M,N] = alpha·op(a)[M,K]·op(b)[K,N] + beta·c, row-major, contiguous.</summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, Storage a, Storage b, float beta, Storage c);

    /// <summary>y[r,c] = x[r,c] + bias[c]; x,y: [rows, cols], bias: [cols]. In place allowed.</summary>
    void AddBias(Storage x, Storage bias, Storage y, int rows, int cols);

    /// <summary>db[c] (+)= Σ_r dy[r,c]; dy: [rows, cols].</summary>
    void BiasGrad(Storage dy, Storage db, int rows, int cols, bool accumulate);

    /// <summary>y = act(x), n elements. In place allowed.</summary>
    void ActivationForward(Activation act, Storage x, Storage y, int n);

    /// <summary>dx = dy · act'(x) computed from the forward output y (not for <see cref="Activation.HardSwish"/> and <see cref="Activation.Silu"/>).</summary>
    void ActivationBackward(Activation act, Storage y, Storage dy, Storage dx, int n);

    /// <summary>dx = dy · act'(x) computed from the forward input x (what the hard swish and SiLU need).</summary>
    void ActivationBackwardFromInput(Activation act, Storage x, Storage dy, Storage dx, int n);

    /// <summary>y[i] = a[i] op b[i mod bLength] (b broadcast over a's leading dims; bLength divides n; bLength 1 = scalar).</summary>
    void Binary(BinaryOp op, Storage a, Storage b, Storage y, int n, int bLength);

    /// <summary>y = op(x).</summary>
    void Unary(UnaryOp op, Storage x, Storage y, int n);

    /// <summary>y = x·scale + shift.</summary>
    void Affine(Storage x, Storage y, int n, float scale, float shift);

    /// <summary>y[o, i] = Σ_r x[o, r, i] over [outer, reduce, inner]; mean divides by reduce.</summary>
    void ReduceSum(Storage x, Storage y, int outer, int reduce, int inner, bool mean);

    /// <summary>y[o, i] = max_r x[o, r, i]; argmax (as float index r) into idx.</summary>
    void ReduceMax(Storage x, Storage y, Storage idx, int outer, int reduce, int inner);

    /// <summary>dx[o, r, i] = (r == idx[o, i]) ? dy[o, i] : 0.</summary>
    void ReduceMaxBackward(Storage dy, Storage idx, Storage dx, int outer, int reduce, int inner);

    /// <summary>y[o, r, i] = x[o, i] (the reverse of a reduction: broadcast along r).</summary>
    void Broadcast(Storage x, Storage y, int outer, int reduce, int inner, float scale);

    /// <summary>Row softmax: y[r,:] = softmax(x[r,:]); [rows, cols].</summary>
    void Softmax(Storage x, Storage y, int rows, int cols);

    /// <summary>dx = y ⊙ (dy − Σ dy⊙y) per row.</summary>
    void SoftmaxBackward(Storage y, Storage dy, Storage dx, int rows, int cols);

    /// <summary>
    /// Sparse categorical cross-entropy per row. fromLogits: loss = logsumexp(z) − z[label], probs = softmax(z);
    /// else loss = −log(clip(p[label], eps, 1−eps)). labels: [rows] float class indices.
    /// </summary>
    void SparseCrossEntropy(Storage input, Storage labels, Storage loss, Storage probs, int rows, int cols, bool fromLogits, float eps);

    /// <summary>Backward of <see cref="SparseCrossEntropy"/> given dloss[rows]: dz = (softmax − onehot)·g or dp = −g/p at the label.</summary>
    void SparseCrossEntropyBackward(Storage input, Storage probs, Storage labels, Storage dloss, Storage dinput, int rows, int cols, bool fromLogits, float eps);

    /// <summary>y[r, labels[r]] = 1, else 0; [rows, depth]. Out-of-range labels give a zero row.</summary>
    void OneHot(Storage labels, Storage y, int rows, int depth);

    /// <summary>y[o, i] = x[o, index, i] for x [outer, count, inner] (a slice along one axis).</summary>
    void Slice(Storage x, Storage y, int outer, int count, int inner, int start, int length);

    /// <summary>dx[o, start.., i] (+)= dy: the scatter of <see cref="Slice"/> (accumulates).</summary>
    void SliceBackward(Storage dy, Storage dx, int outer, int count, int inner, int start, int length);

    /// <summary>im2col convolution: y[B,OH,OW,F] = conv(x[B,H,W,C], w[KH,KW,C,F]).</summary>
    void Conv2DForward(in Conv2DGeometry g, Storage x, Storage w, Storage y);

    /// <summary>dx[B,H,W,C] from dy[B,OH,OW,F] and w.</summary>
    void Conv2DBackwardData(in Conv2DGeometry g, Storage dy, Storage w, Storage dx);

    /// <summary>dw[KH,KW,C,F] from x and dy.</summary>
    void Conv2DBackwardFilter(in Conv2DGeometry g, Storage x, Storage dy, Storage dw);

    /// <summary>y[B,OH,OW,C] = max over each window of x[B,H,W,C] (padding excluded). OutC = InC.</summary>
    void MaxPoolForward(in Conv2DGeometry g, Storage x, Storage y);

    /// <summary>dx: each dy goes to the first position in its window where x equals y.</summary>
    void MaxPoolBackward(in Conv2DGeometry g, Storage x, Storage y, Storage dy, Storage dx);

    /// <summary>Depthwise convolution: y[B,OH,OW,C·M] = dwconv(x[B,H,W,C], w[KH,KW,C,M]); OutC = C·M.</summary>
    void DepthwiseForward(in Conv2DGeometry g, int multiplier, Storage x, Storage w, Storage y);

    /// <summary>dx[B,H,W,C] from dy[B,OH,OW,C·M] and w.</summary>
    void DepthwiseBackwardData(in Conv2DGeometry g, int multiplier, Storage dy, Storage w, Storage dx);

    /// <summary>dw[KH,KW,C,M] from x and dy.</summary>
    void DepthwiseBackwardFilter(in Conv2DGeometry g, int multiplier, Storage x, Storage dy, Storage dw);

    /// <summary>y[B,OH,OW,C] = mean over each window's taps inside the image (padding not counted). OutC = InC.</summary>
    void AvgPoolForward(in Conv2DGeometry g, Storage x, Storage y);

    /// <summary>dx: each tap of a window gets dy / (its taps inside the image).</summary>
    void AvgPoolBackward(in Conv2DGeometry g, Storage dy, Storage dx);

    /// <summary>Per-channel mean and biased variance of x[rows, c] (batch normalization's batch statistics).</summary>
    void BatchNormMoments(Storage x, int rows, int c, Storage mean, Storage variance);

    /// <summary>y[rows, c] = (x − mean) / √(variance + eps) · gamma + beta.</summary>
    void BatchNormForward(Storage x, int rows, int c, Storage mean, Storage variance, Storage gamma, Storage beta, float eps, Storage y);

    /// <summary>
    /// dx[rows, c], dgamma[c], dbeta[c] from x, dy: training (the statistics were x's own) or inference (fixed statistics).
    /// </summary>
    void BatchNormBackward(Storage x, Storage dy, int rows, int c, Storage mean, Storage variance, Storage gamma, float eps, bool training, Storage dx, Storage dgamma, Storage dbeta);

    /// <summary>moving = momentum·moving + (1 − momentum)·batchScale·batch over n values (the moving statistics' update).</summary>
    void MovingAverage(Storage moving, Storage batch, int n, float momentum, float batchScale);

    /// <summary>y[B, H+top+bottom, W+left+right, C] = x[B,H,W,C] with zeros around.</summary>
    void ZeroPad(Storage x, Storage y, int batch, int h, int w, int c, int top, int bottom, int left, int right);

    /// <summary>dx[B,H,W,C] = the inner part of dy (the gradient of <see cref="ZeroPad"/>).</summary>
    void ZeroPadBackward(Storage dy, Storage dx, int batch, int h, int w, int c, int top, int bottom, int left, int right);

    /// <summary>
    /// LSTM cell from pre-activations z[B,4U] (gate order i, f, g, o as Keras) and cPrev[B,U]:
    /// c = σ(f)·cPrev + σ(i)·tanh(g), h = σ(o)·tanh(c).
    /// </summary>
    void LstmCellForward(Storage z, Storage cPrev, Storage h, Storage c, int batch, int units);

    /// <summary>dz[B,4U] and dcPrev[B,U] from dh and dc (either may be null = zero).</summary>
    void LstmCellBackward(Storage z, Storage cPrev, Storage c, Storage? dh, Storage? dc, Storage dz, Storage dcPrev, int batch, int units);

    /// <summary>y[r,:] = table[idx[r],:]; idx: [rows] float indices, table: [vocab, dim].</summary>
    void Gather(Storage table, Storage idx, Storage y, int rows, int vocab, int dim);

    /// <summary>dtable[idx[r],:] += dy[r,:].</summary>
    void GatherBackward(Storage dy, Storage idx, Storage dtable, int rows, int vocab, int dim);

    /// <summary>Dropout mask with keep probability 1−rate, scaled by 1/(1−rate) (inverted dropout).</summary>
    void DropoutMask(Storage mask, int n, float rate, ulong seed);

    /// <summary>Adam in place: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lrT · m / (√v + ε̂).</summary>
    void AdamUpdate(Storage param, Storage grad, Storage m, Storage v, int n, float lrT, float beta1, float beta2, float epsHat);

    /// <summary>SGD in place with momentum (velocity may be null when momentum is 0).</summary>
    void SgdUpdate(Storage param, Storage grad, Storage? velocity, int n, float lr, float momentum, bool nesterov);

    /// <summary>Number of non-finite values (NaN or ±∞) in the first n elements.</summary>
    int CountNonFinite(Storage x, int n);

    /// <summary>
    /// <see cref="CountNonFinite(Storage, int)"/> of several tensors at once (a device backend
    /// reads all counts back in one transfer instead of waiting once per tensor).
    /// </summary>
    int[] CountNonFinite(IReadOnlyList<(Storage Storage, int Length)> tensors) => tensors.Select(t => CountNonFinite(t.Storage, t.Length)).ToArray();

    /// <summary>
    /// Σx² of each tensor (gradient-norm clipping), read back once. The default squares into a scratch
    /// buffer and reduces with this backend's own kernels; a host backend sums in place.
    /// </summary>
    double[] SquaredNorms(IReadOnlyList<(Storage Storage, int Length)> tensors)
    {
        var sums = Allocate(tensors.Count);
        try
        {
            for (int i = 0; i < tensors.Count; i++)
            {
                var (x, n) = tensors[i];
                var sq = Allocate(n);
                try
                {
                    Unary(UnaryOp.Square, x, sq, n);
                    var one = Allocate(1);
                    try
                    {
                        ReduceSum(sq, one, 1, n, 1, mean: false);
                        Copy(one, 0, sums, i, 1);
                    }
                    finally
                    {
                        one.Release();
                    }
                }
                finally
                {
                    sq.Release();
                }
            }

            var host = new float[tensors.Count];
            Download(sums, host);
            return host.Select(v => (double)v).ToArray();
        }
        finally
        {
            sums.Release();
        }
    }
}
