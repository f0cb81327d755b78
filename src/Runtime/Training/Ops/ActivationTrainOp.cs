using EdgeNet.Formats.Enb;
using Ref = EdgeNet.Kernels.Reference;
using Simd = EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Training.Ops;

/// <summary>ReLU, tanh, sigmoid (element-wise) and softmax (over the last axis) for training; the derivatives are written from y. x, y, dx, dy: same shape.</summary>
internal sealed unsafe class ActivationTrainOp : TrainOp
{
    private readonly int _act;     // 1 relu, 2 tanh, 3 sigmoid, −1 softmax
    private readonly int _cols;

    public ActivationTrainOp(OperatorDef op, int index, BlobReader blob, IReadOnlyList<ValueSlot> values)
        : base(op, index, blob, values)
    {
        if (X.SampleElements != Y.SampleElements)
        {
            throw Fail($"input {X.Info.ShapeText} and output {Y.Info.ShapeText} differ");
        }

        _act = op.Opcode switch
        {
            Opcode.Relu => 1,
            Opcode.Tanh => 2,
            Opcode.Sigmoid => 3,
            _ => -1,
        };
        _cols = Y.SampleDim(Y.SampleRank - 1);
    }

    public bool IsSoftmax => _act < 0;

    public override bool NeedsY => true;

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

        var y = a.Value(Y, batch);
        var dy = a.Grad(Y, batch);
        var dx = a.Grad(X, batch);
        switch ((_act < 0, simd))
        {
            case (true, true): Simd.Activations.SoftmaxBackward(y, dy, dx, y.Length / _cols, _cols); break;
            case (true, false): Ref.Activations.SoftmaxBackward(y, dy, dx, y.Length / _cols, _cols); break;
            case (false, true): Simd.Activations.Backward(_act, y, dy, dx); break;
            default: Ref.Activations.Backward(_act, y, dy, dx); break;
        }
    }
}
