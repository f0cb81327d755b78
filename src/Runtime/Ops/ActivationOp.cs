using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Kernels.Reference;
using Ref = EdgeNet.Kernels.Reference;
using SimdAct = EdgeNet.Kernels.Simd.Activations;

namespace EdgeNet.Runtime.Ops;

/// <summary>relu / tanh / sigmoid / softmax on float values.</summary>
internal sealed unsafe class ActivationOp : OpKernel
{
    private readonly int _act;

    public ActivationOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        _act = op.Opcode switch { Opcode.Relu => 1, Opcode.Tanh => 2, Opcode.Sigmoid => 3, _ => 4 };
        if (Inputs[0].Info.Type != ElementType.F32 || Output.Info.Type != ElementType.F32 || Inputs[0].SampleElements != Output.SampleElements)
        {
            throw Fail("activations run on f32 values of equal shape");
        }
    }

    public override void Eval(byte* arena, byte* scratch, int batch)
    {
        int n = Output.Elements(batch);
        float* x = F(arena, Inputs[0]), y = F(arena, Output);
        if (_act == 4)
        {
            int cols = Output.SampleDim(Output.SampleRank - 1);
            if (Simd)
            {
                SimdAct.Softmax(x, y, n / cols, cols);
            }
            else
            {
                Ref.Activations.Softmax(x, y, n / cols, cols);
            }

            return;
        }

        Buffer.MemoryCopy(x, y, (long)n * 4, (long)n * 4);
        if (Simd)
        {
            SimdAct.Apply(_act, y, n);
        }
        else
        {
            Ref.Activations.Apply(_act, y, n);
        }
    }
}
