using EdgeNet.Runtime.Threading;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Kernels.Reference;
using Ref = EdgeNet.Kernels.Reference;

namespace EdgeNet.Runtime.Ops;

/// <summary>f32 → int8 with the output value's scale and zero point, and back; int8 → int8 (a requantization) by the writer's multiplier.</summary>
internal sealed unsafe class QuantizeOp : OpKernel, IParallelWork
{
    private readonly bool _quantize;
    private readonly (int Multiplier, int Shift)? _rescale;

    public QuantizeOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        _quantize = op.Opcode == Opcode.Quantize;
        if (_quantize && Inputs[0].Info.Type == ElementType.I8)
        {
            if (Output.Info.Type != ElementType.I8 || Inputs[0].SampleElements != Output.SampleElements || WeightCount != 1 || Weight(0).Type != ElementType.I32 || Weight(0).ElementCount != 2)
            {
                throw Fail("an int8 → int8 quantize (a requantization) needs an int8 output of its input's shape and an i32 requant table [2, 1]");
            }

            var rq = Blob.GetTensorData<int>(WeightIndex(0));
            _rescale = (rq[0], rq[1]);
            if (Int8Arithmetic.ShiftProblem(rq[1]) is { } problem)
            {
                throw Fail($"requant table: {problem}");
            }

            return;
        }

        var (from, to) = _quantize ? (ElementType.F32, ElementType.I8) : (ElementType.I8, ElementType.F32);
        if (Inputs[0].Info.Type != from || Output.Info.Type != to || Inputs[0].SampleElements != Output.SampleElements)
        {
            throw Fail($"{op.Opcode} converts {from} to {to} of the same shape");
        }

        var q = _quantize ? Output : Inputs[0];
        if (q.Info.Quantization.Kind != QuantizationKind.PerTensor)
        {
            throw Fail($"value '{q.Info.Name}' needs per-tensor quantization parameters");
        }
    }

    /// <summary>f32 → int8 over this chunk's element range (<see cref="WorkerPool.ElementRange"/>).</summary>
    public void Run(in Frame frame, int chunk, int chunks)
    {
        int n = Output.Elements(frame.Batch);
        var (i0, i1) = WorkerPool.ElementRange(n, chunk, chunks);
        if (i1 > i0)
        {
            EdgeNet.Kernels.Simd.Quantize.ToInt8(F(frame.Arena, Inputs[0]) + i0, Q(frame.Arena, Output) + i0, i1 - i0, Output.Scale, Output.ZeroPoint);
        }
    }

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        int n = Output.Elements(batch);
        if (_rescale is var (m, sh))
        {
            // x, y: [n] int8
            if (Simd)
            {
                EdgeNet.Kernels.Simd.Elementwise.RescaleInt8(Q(arena, Inputs[0]), Inputs[0].ZeroPoint, n, m, sh, Output.ZeroPoint, Q(arena, Output));
            }
            else
            {
                Ref.Elementwise.RescaleInt8(Q(arena, Inputs[0]), Inputs[0].ZeroPoint, n, m, sh, Output.ZeroPoint, Q(arena, Output));
            }

            return;
        }

        if (_quantize)
        {
            if (Simd)
            {
                // A whole image in (150,528 values at 224²): split between threads by element ranges, as the add is.
                pool.For(this, new Frame(arena, scratch, batch), parallel: n >= 1 << 16);
            }
            else
            {
                Ref.Quantize.ToInt8(F(arena, Inputs[0]), Q(arena, Output), n, Output.Scale, Output.ZeroPoint);
            }
        }
        else if (Simd)
        {
            EdgeNet.Kernels.Simd.Quantize.ToFloat(Q(arena, Inputs[0]), F(arena, Output), n, Inputs[0].Scale, Inputs[0].ZeroPoint);
        }
        else
        {
            Ref.Quantize.ToFloat(Q(arena, Inputs[0]), F(arena, Output), n, Inputs[0].Scale, Inputs[0].ZeroPoint);
        }
    }
}
