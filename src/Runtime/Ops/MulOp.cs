using EdgeNet.Runtime.Threading;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using Ref = EdgeNet.Kernels.Reference;
using SimdEw = EdgeNet.Kernels.Simd.Elementwise;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// y = a · b, float or int8: b of a's shape (a gate, SiLU written as x · sigmoid(x)), or [N, 1, …, 1, C] scaling each
/// sample's channels (squeeze-and-excitation). int8 multiplies (a − z_a)(b − z_b) and rescales once by the writer's
/// multiplier of s_a·s_b / s_y ([2, 1]).
/// </summary>
internal sealed unsafe class MulOp : OpKernel
{
    private readonly bool _int8;
    private readonly int _inner, _perB, _za, _zb, _zy, _multiplier, _shift;

    public MulOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        if (Inputs.Length != 2)
        {
            throw Fail($"takes two value inputs, has {Inputs.Length}");
        }

        var (a, b) = (Inputs[0], Inputs[1]);
        if (a.Info.Type != b.Info.Type || a.Info.Type != Output.Info.Type || a.SampleElements != Output.SampleElements)
        {
            throw Fail($"inputs {a.Info.ShapeText} ({a.Info.Type}) and {b.Info.ShapeText} ({b.Info.Type}) and output {Output.Info.ShapeText} ({Output.Info.Type}) must have one type, and a the output's shape");
        }

        int c = a.SampleDim(a.SampleRank - 1);
        if (b.SampleElements == a.SampleElements)
        {
            (_inner, _perB) = (a.SampleElements, 1);
        }
        else if (b.SampleElements == c && b.SampleDim(b.SampleRank - 1) == c)
        {
            (_inner, _perB) = (c, a.SampleElements / c);
        }
        else
        {
            throw Fail($"b {b.Info.ShapeText} must have a's shape {a.Info.ShapeText} or one value per channel [N, 1, …, 1, {c}]");
        }

        _int8 = Output.Info.Type == ElementType.I8;
        if (_int8)
        {
            if (WeightCount != 1 || Weight(0).Type != ElementType.I32 || Weight(0).ElementCount != 2)
            {
                throw Fail("an int8 mul needs an i32 requant table [2, 1]");
            }

            var rq = Blob.GetTensorData<int>(WeightIndex(0));
            (_multiplier, _shift) = (rq[0], rq[1]);
            if (Int8Arithmetic.ShiftProblem(_shift) is { } problem)
            {
                throw Fail($"requant table: {problem}");
            }

            (_za, _zb, _zy) = (a.ZeroPoint, b.ZeroPoint, Output.ZeroPoint);
        }
        else if (a.Info.Type != ElementType.F32)
        {
            throw Fail($"a float mul needs f32 inputs; got {a.Info.Type}");
        }
    }

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        // a, y: [rows, inner]; b: [rows / perB, inner]
        int rows = batch * (Inputs[0].SampleElements / _inner);
        if (_int8)
        {
            sbyte* a = Q(arena, Inputs[0]), b = Q(arena, Inputs[1]), y = Q(arena, Output);
            if (Simd)
            {
                SimdEw.MulInt8(a, _za, b, _zb, rows, _inner, _perB, _multiplier, _shift, _zy, y);
            }
            else
            {
                Ref.Elementwise.MulInt8(a, _za, b, _zb, rows, _inner, _perB, _multiplier, _shift, _zy, y);
            }

            return;
        }

        float* fa = F(arena, Inputs[0]), fb = F(arena, Inputs[1]), fy = F(arena, Output);
        if (Simd)
        {
            SimdEw.Mul(fa, fb, rows, _inner, _perB, fy);
        }
        else
        {
            Ref.Elementwise.Mul(fa, fb, rows, _inner, _perB, fy);
        }
    }
}
