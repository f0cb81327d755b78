using EdgeNet.Runtime.Threading;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Kernels.Reference;

namespace EdgeNet.Runtime.Ops;

/// <summary>Token ids → rows of the embedding table.</summary>
internal sealed unsafe class EmbeddingOp : OpKernel
{
    private readonly float[] _table;
    private readonly int _vocab;
    private readonly int _dim;

    public EmbeddingOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        var t = Weight(0);
        _vocab = (int)t.Dims[0];
        _dim = (int)t.Dims[1];
        _table = FloatWeight(0);
    }

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        int n = Inputs[0].Elements(batch);
        float* x = F(arena, Inputs[0]), y = F(arena, Output);
        for (int i = 0; i < n; i++)
        {
            int id = Math.Clamp((int)x[i], 0, _vocab - 1);
            _table.AsSpan(id * _dim, _dim).CopyTo(new Span<float>(y + ((long)i * _dim), _dim));
        }
    }
}
