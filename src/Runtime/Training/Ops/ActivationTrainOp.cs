using EdgeNet.Formats.Enb;
using Ref = EdgeNet.Kernels.Reference;
using Simd = EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Training.Ops;

/// <summary>
/// ReLU, tanh, sigmoid, hard sigmoid, hard swish, SiLU (element-wise) and softmax (over the last axis) for training; the
/// derivatives are written from y, the hard swish's and SiLU's from x. x, y, dx, dy: same shape.
/// </summary>
internal sealed unsafe class ActivationTrainOp : TrainOp
{
    private readonly int _act;     // the kernels' activation code; −1 softmax
    private readonly int _cols;

    public ActivationTrainOp(OperatorDef op, int index, BlobReader blob, IReadOnlyList<ValueSlot> values)
        : base(op, index, blob, values)
    {
        if (X.SampleElements != Y.SampleElements)
        {
            throw Fail($"input {X.Info.ShapeText} and output {Y.Info.ShapeText} differ");
        }

        if (X.Info.Type != ElementType.F32)
        {
            throw Fail($"learns on f32 values; got {X.Info.Type}");
        }

        _act = Runtime.Ops.ActivationOp.Code(op.Opcode);
        _cols = Y.SampleDim(Y.SampleRank - 1);
    }

    public bool IsSoftmax => _act < 0;

    public override bool NeedsY => !FromInput;

    public override bool NeedsX => FromInput;

    private bool FromInput => _act is Ref.Activations.HardSwish or Ref.Activations.Silu;

    public override void Forward(TrainArena a, int batch, bool simd)
    {
        var x = a.Value(X, batch);
        var y = a.Value(Y, batch);
        if (_act < 0)
        {
            if (simd)
            {
                Simd.Activations.Softmax(x, y, y.Length / _cols, _cols);
            }
            else
            {
                Ref.Activations.Softmax(x, y, y.Length / _cols, _cols);
            }

            return;
        }

        if (simd)
        {
            Simd.Activations.Apply(_act, x, y);
            return;
        }

        x.CopyTo(y);
        fixed (float* yp = y)
        {
            Ref.Activations.Apply(_act, yp, y.Length);
        }
    }

    public override void Backward(TrainArena a, int batch, bool simd, bool needDx)
    {
        if (!needDx)
        {
            return;
        }

        var dy = a.Grad(Y, batch);
        var dx = a.Grad(X, batch);
        if (FromInput)
        {
            var x = a.Value(X, batch);
            if (simd)
            {
                Simd.Activations.BackwardFromInput(_act, x, dy, dx);
            }
            else
            {
                Ref.Activations.BackwardFromInput(_act, x, dy, dx);
            }

            return;
        }

        var y = a.Value(Y, batch);
        switch ((_act < 0, simd))
        {
            case (true, true): Simd.Activations.SoftmaxBackward(y, dy, dx, y.Length / _cols, _cols); break;
            case (true, false): Ref.Activations.SoftmaxBackward(y, dy, dx, y.Length / _cols, _cols); break;
            case (false, true): Simd.Activations.Backward(_act, y, dy, dx); break;
            default: Ref.Activations.Backward(_act, y, dy, dx); break;
        }
    }
}
