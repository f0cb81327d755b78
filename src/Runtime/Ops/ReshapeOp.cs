using EdgeNet.Runtime.Threading;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Kernels.Reference;

namespace EdgeNet.Runtime.Ops;

/// <summary>Reshape / Flatten: the output aliases the input's buffer; nothing runs.</summary>
internal sealed unsafe class ReshapeOp : OpKernel
{
    public ReshapeOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        if (Inputs[0].SampleElements != Output.SampleElements || Inputs[0].Info.Type != Output.Info.Type)
        {
            throw Fail($"cannot reshape {Inputs[0].Info.ShapeText} into {Output.Info.ShapeText}");
        }
    }

    public override bool AliasesInput => true;

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
    }
}
