using EdgeNet.Formats.Enb;
using Ref = EdgeNet.Kernels.Reference;
using Simd = EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Training.Ops;

/// <summary>
/// Dense for training: y = act(x·W + b) forward; backward dz = act'(y) ⊙ dy (in dy's buffer),
/// dW = xᵀ·dz, db = Σ dz, dx = dz·Wᵀ. x: [rows, k]  W: [k, n]  b: [n]  y, dy: [rows, n].
/// </summary>
internal sealed unsafe class DenseTrainOp : TrainOp
{
    private readonly int _k;
    private readonly int _n;
    private readonly int _act;
    private readonly TrainParam _w;
    private readonly TrainParam? _b;
    private readonly float[] _noBias;   // [n] zeros: the forward's bias when the layer has none
    private readonly float[] _biasSink; // [n] the backward's ignored bias sums when the layer has none

    public DenseTrainOp(OperatorDef op, int index, BlobReader blob, IReadOnlyList<ValueSlot> values)
        : base(op, index, blob, values)
    {
        _w = AddParam(0);
        if (_w.Dims.Count != 2)
        {
            throw Fail($"kernel '{_w.Name}' has shape [{string.Join(", ", _w.Dims)}]; Dense needs [in, units]");
        }

        (_k, _n) = ((int)_w.Dims[0], (int)_w.Dims[1]);
        if (X.SampleDim(X.SampleRank - 1) != _k || Y.SampleDim(Y.SampleRank - 1) != _n || (long)X.SampleElements * _n != (long)Y.SampleElements * _k)
        {
            throw Fail($"input {X.Info.ShapeText} and output {Y.Info.ShapeText} do not fit kernel [{_k}, {_n}]");
        }

        _b = AddBias(_w, _n);
        _noBias = new float[_b is null ? _n : 0];
        _biasSink = new float[_b is null ? _n : 0];
        _act = ActivationAttr();
    }

    public override bool NeedsX => true;

    public override bool NeedsY => _act != 0;

    private int Rows(int batch) => X.Elements(batch) / _k;

    public override void Forward(TrainArena a, int batch, bool simd)
    {
        int rows = Rows(batch);
        var x = a.Value(X, batch);
        var y = a.Value(Y, batch);
        ReadOnlySpan<float> w = a.Param(_w), b = _b is null ? _noBias : a.Param(_b);
        if (simd)
        {
            Simd.Dense.Forward(x, rows, _k, w, b, _n, y);
            Simd.Activations.Apply(_act, y, y);
            return;
        }

        fixed (float* xp = x, wp = w, bp = b, yp = y)
        {
            Ref.Dense.F32(xp, rows, _k, wp, bp, _n, 0, yp);
            Ref.Activations.Apply(_act, yp, y.Length);
        }
    }

    public override void Backward(TrainArena a, int batch, bool simd, bool needDx)
    {
        int rows = Rows(batch);
        var dz = FusedActivationBackward(a, batch, simd, _act);

        if (Trainable)
        {
            var db = _b is null ? _biasSink : a.ParamGrad(_b);
            if (simd)
            {
                Simd.Dense.BackwardWeights(a.Value(X, batch), dz, rows, _k, _n, a.ParamGrad(_w), db, accumulate: false);
            }
            else
            {
                Ref.Dense.BackwardWeights(a.Value(X, batch), dz, rows, _k, _n, a.ParamGrad(_w), db, accumulate: false);
            }
        }

        if (needDx)
        {
            if (simd)
            {
                Simd.Dense.BackwardData(dz, rows, _n, a.Param(_w), _k, a.Grad(X, batch));
            }
            else
            {
                Ref.Dense.BackwardData(dz, rows, _n, a.Param(_w), _k, a.Grad(X, batch));
            }
        }
    }
}
