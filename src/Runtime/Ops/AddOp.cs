using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Threading;
using Ref = EdgeNet.Kernels.Reference;
using SimdEw = EdgeNet.Kernels.Simd.Elementwise;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// y = act(a + b) for two values of one shape (a residual connection), float or int8. int8 rescales each
/// input to the output's scale in f32 with the two scales derived from the table the writer stored ([2, 3]: the
/// multipliers of a, b and the sum, then their shifts; Int8Arithmetic.AddScales). Large batches are split between
/// threads by element ranges.
/// </summary>
internal sealed unsafe class AddOp : OpKernel, IParallelWork
{
    private readonly bool _int8;
    private readonly int _act;
    private readonly float _ka, _kb;
    private readonly int _za, _zb, _zy, _lo, _hi;

    public AddOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        if (Inputs.Length != 2)
        {
            throw Fail($"takes two value inputs, has {Inputs.Length}");
        }

        var (a, b) = (Inputs[0], Inputs[1]);
        if (a.SampleElements != b.SampleElements || a.SampleElements != Output.SampleElements || a.Info.Type != b.Info.Type || a.Info.Type != Output.Info.Type)
        {
            throw Fail($"inputs {a.Info.ShapeText} ({a.Info.Type}) and {b.Info.ShapeText} ({b.Info.Type}) and output {Output.Info.ShapeText} ({Output.Info.Type}) must have one shape and type");
        }

        _act = ActivationAttr();
        _int8 = Output.Info.Type == ElementType.I8;
        if (_int8)
        {
            if (WeightCount != 1 || Weight(0).Type != ElementType.I32 || Weight(0).ElementCount != 6)
            {
                throw Fail("an int8 add needs an i32 requant table [2, 3]");
            }

            var requant = Blob.GetTensorData<int>(WeightIndex(0));
            for (int k = 3; k < 6; k++)
            {
                if (Int8Arithmetic.ShiftProblem(requant[k]) is { } problem)
                {
                    throw Fail($"requant table: {problem}");
                }
            }

            fixed (int* rq = requant)
            {
                (_ka, _kb) = EdgeNet.Kernels.Requantize.AddScales(rq);
            }

            (_za, _zb, _zy) = (a.ZeroPoint, b.ZeroPoint, Output.ZeroPoint);
            (_lo, _hi) = Int8Clamp();
        }
        else if (a.Info.Type != ElementType.F32)
        {
            throw Fail($"a float add needs f32 inputs; got {a.Info.Type}");
        }
        else if (_act is not (Ref.Activations.Linear or Ref.Activations.Relu or Ref.Activations.Relu6))
        {
            throw Fail($"an add fuses linear, relu or relu6; got activation code {_act}");
        }
    }

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        pool.For(this, new Frame(arena, scratch, batch), parallel: Output.Elements(batch) >= 1 << 16 && Simd);
    }

    /// <summary>This chunk's element range (<see cref="WorkerPool.ElementRange"/>).</summary>
    public void Run(in Frame frame, int chunk, int chunks)
    {
        byte* arena = frame.Arena;
        int n = Output.Elements(frame.Batch);
        var (i0, i1) = WorkerPool.ElementRange(n, chunk, chunks);
        int count = i1 - i0;
        if (count <= 0)
        {
            return;
        }

        if (_int8)
        {
            sbyte* a = Q(arena, Inputs[0]) + i0, b = Q(arena, Inputs[1]) + i0, y = Q(arena, Output) + i0;
            if (Simd)
            {
                SimdEw.AddInt8(a, _za, b, _zb, count, _ka, _kb, _zy, _lo, _hi, y);
            }
            else
            {
                Ref.Elementwise.AddInt8(a, _za, b, _zb, count, _ka, _kb, _zy, _lo, _hi, y);
            }

            return;
        }

        float* fa = F(arena, Inputs[0]) + i0, fb = F(arena, Inputs[1]) + i0, fy = F(arena, Output) + i0;
        if (Simd)
        {
            SimdEw.Add(fa, fb, count, _act, fy);
        }
        else
        {
            Ref.Elementwise.Add(fa, fb, count, _act, fy);
        }
    }
}
