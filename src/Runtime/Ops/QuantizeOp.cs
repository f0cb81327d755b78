using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Kernels.Reference;
using Ref = EdgeNet.Kernels.Reference;

namespace EdgeNet.Runtime.Ops;

/// <summary>f32 → int8 with the output value's scale and zero point, and back.</summary>
internal sealed unsafe class QuantizeOp : OpKernel
{
    private readonly bool _quantize;

    public QuantizeOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        _quantize = op.Opcode == Opcode.Quantize;
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

    public override long ScratchBytes(int maxBatch) => _quantize && Simd ? Output.Bytes(maxBatch) * 4 : 0;

    public override void Eval(byte* arena, byte* scratch, int batch)
    {
        int n = Output.Elements(batch);
        if (_quantize)
        {
            if (Simd)
            {
                EdgeNet.Kernels.Simd.Quantize.ToInt8(F(arena, Inputs[0]), Q(arena, Output), n, Output.Scale, Output.ZeroPoint, (float*)scratch);
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
