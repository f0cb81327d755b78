using EdgeNet.Runtime.Threading;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Kernels.Reference;

namespace EdgeNet.Runtime.Ops;

/// <summary>Class ids (as floats) → one-hot rows: [..] → [.., depth].</summary>
internal sealed unsafe class OneHotOp : OpKernel
{
    private readonly int _depth;

    public OneHotOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        _depth = Output.SampleDim(Output.SampleRank - 1);
        if (Inputs[0].SampleElements * _depth != Output.SampleElements)
        {
            throw Fail($"one-hot of {Inputs[0].Info.ShapeText} cannot be {Output.Info.ShapeText}");
        }
    }

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        int n = Inputs[0].Elements(batch);
        float* x = F(arena, Inputs[0]), y = F(arena, Output);
        new Span<float>(y, n * _depth).Clear();
        for (int i = 0; i < n; i++)
        {
            int c = (int)x[i];
            if (c >= 0 && c < _depth)
            {
                y[((long)i * _depth) + c] = 1f;
            }
        }
    }
}
