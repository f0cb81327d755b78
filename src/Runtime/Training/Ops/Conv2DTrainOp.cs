using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using Ref = EdgeNet.Kernels.Reference;
using Simd = EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Training.Ops;

/// <summary>
/// Conv2D for training over NHWC: y = act(conv(x, W) + b) forward (im2col + GEMM in the SIMD variant,
/// the direct loop in the reference); backward dz = act'(y) ⊙ dy in dy's buffer, dW = im2col(x)ᵀ·dz,
/// db = Σ dz, dx = col2im(dz·Wᵀ). x: [N, H, W, C]  W: [KH, KW, C, F]  b: [F]  y, dy: [N, OH, OW, F].
/// </summary>
internal sealed unsafe class Conv2DTrainOp : TrainOp
{
    /// <summary>Most floats of im2col scratch (4 MB): images are processed in groups that fit, at least one.</summary>
    private const long ColsBudget = 1 << 20;

    private readonly Ref.Window _g;
    private readonly int _f;
    private readonly int _act;
    private readonly TrainParam _w;
    private readonly TrainParam? _b;
    private readonly float[] _noBias;
    private readonly float[] _biasSink;

    public Conv2DTrainOp(OperatorDef op, int index, BlobReader blob, IReadOnlyList<ValueSlot> values)
        : base(op, index, blob, values)
    {
        _w = AddParam(0);
        if (_w.Dims.Count != 4 || X.SampleRank != 3 || _w.Dims[2] != X.SampleDim(2))
        {
            throw Fail($"kernel '{_w.Name}' [{string.Join(", ", _w.Dims)}] does not fit input {X.Info.ShapeText} (kernel [kh, kw, in, filters], input [N, H, W, in])");
        }

        _f = (int)_w.Dims[3];
        _b = AddBias(_w, _f);
        _g = Geometry((int)_w.Dims[0], (int)_w.Dims[1], Schema.Ints(op, Attr.Strides), "kernel");
        if (Y.SampleRank != 3 || Y.SampleDim(0) != _g.OutH || Y.SampleDim(1) != _g.OutW || Y.SampleDim(2) != _f)
        {
            throw Fail($"output {Y.Info.ShapeText}; the geometry gives [N, {_g.OutH}, {_g.OutW}, {_f}]");
        }

        _noBias = new float[_b is null ? _f : 0];
        _biasSink = new float[_b is null ? _f : 0];
        _act = ActivationAttr();
    }

    public override bool NeedsX => true;

    public override bool NeedsY => _act != 0;

    /// <summary>The im2col scratch: the columns of as many images as fit <see cref="ColsBudget"/> (at least one).</summary>
    private long Cols(int maxBatch)
    {
        long one = Simd.Conv2D.ColsLength(_g, 1);
        return Simd.Conv2D.ColsLength(_g, (int)Math.Clamp(ColsBudget / Math.Max(1, one), 1, maxBatch));
    }

    public override long ForwardScratchFloats(int maxBatch) => Cols(maxBatch);

    public override long BackwardScratchFloats(int maxBatch) => Cols(maxBatch);

    public override void Forward(TrainArena a, int batch, bool simd)
    {
        var x = a.Value(X, batch);
        var y = a.Value(Y, batch);
        ReadOnlySpan<float> w = a.Param(_w), b = _b is null ? _noBias : a.Param(_b);
        if (simd)
        {
            Simd.Conv2D.Forward(x, batch, _g, w, _f, y, a.ForwardScratch(Index, Cols(batch)));
            Simd.Dense.AddBias(y, b, y, y.Length / _f, _f);
            Simd.Activations.Apply(_act, y, y);
            return;
        }

        fixed (float* xp = x, wp = w, bp = b, yp = y)
        {
            Ref.Conv2D.F32(xp, batch, _g, wp, bp, _f, 0, yp);
            Ref.Activations.Apply(_act, yp, y.Length);
        }
    }

    public override void Backward(TrainArena a, int batch, bool simd, bool needDx)
    {
        var dz = FusedActivationBackward(a, batch, simd, _act);
        int rows = dz.Length / _f;

        if (Trainable)
        {
            var db = _b is null ? _biasSink : a.ParamGrad(_b);
            if (simd)
            {
                Simd.Conv2D.BackwardFilter(a.Value(X, batch), dz, batch, _g, _f, a.ParamGrad(_w), a.BackwardScratch(Index, Cols(batch)));
                Simd.Dense.BiasGrad(dz, db, rows, _f, accumulate: false);
            }
            else
            {
                Ref.Conv2D.BackwardFilter(a.Value(X, batch), dz, batch, _g, _f, a.ParamGrad(_w));
                Ref.Dense.BiasGrad(dz, db, rows, _f, accumulate: false);
            }
        }

        if (needDx)
        {
            if (simd)
            {
                Simd.Conv2D.BackwardData(dz, batch, _g, a.Param(_w), _f, a.Grad(X, batch), a.BackwardScratch(Index, Cols(batch)));
            }
            else
            {
                Ref.Conv2D.BackwardData(dz, batch, _g, a.Param(_w), _f, a.Grad(X, batch));
            }
        }
    }
}
