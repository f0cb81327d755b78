using EdgeNet.Formats.Enb;

namespace EdgeNet.Runtime.Training.Ops;

/// <summary>Reshape/Flatten: the output and its gradient are the input's buffers; nothing to compute either way.</summary>
internal sealed class ReshapeTrainOp : TrainOp
{
    public ReshapeTrainOp(OperatorDef op, int index, BlobReader blob, IReadOnlyList<ValueSlot> values)
        : base(op, index, blob, values)
    {
        if (X.SampleElements != Y.SampleElements)
        {
            throw Fail($"input {X.Info.ShapeText} and output {Y.Info.ShapeText} hold different element counts");
        }
    }

    public override bool Aliases => true;

    public override void Forward(TrainArena a, int batch, bool simd)
    {
    }

    public override void Backward(TrainArena a, int batch, bool simd, bool needDx)
    {
    }
}
