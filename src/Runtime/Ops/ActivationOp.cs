using EdgeNet.Runtime.Threading;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using Ref = EdgeNet.Kernels.Reference;
using SimdAct = EdgeNet.Kernels.Simd.Activations;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// The element-wise activations and softmax as operators of their own: float values through the kernels' formulas,
/// int8 values (tanh, sigmoid, hard sigmoid, hard swish, SiLU) through the [256] table the writer computed from the
/// input's and output's quantization (one load per element, exact for every input code).
/// </summary>
internal sealed unsafe class ActivationOp : OpKernel
{
    private readonly int _act;
    private readonly sbyte[]? _table;

    public ActivationOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        _act = Code(op.Opcode);
        var (x, y) = (Inputs[0], Output);
        if (x.SampleElements != y.SampleElements)
        {
            throw Fail($"input {x.Info.ShapeText} and output {y.Info.ShapeText} must have one shape");
        }

        if (x.Info.Type == ElementType.I8 && y.Info.Type == ElementType.I8)
        {
            if (WeightCount != 1 || Weight(0).Type != ElementType.I8 || Weight(0).ElementCount != 256)
            {
                throw Fail("an int8 activation needs its lookup table: an i8 weight [256] (re-export the blob)");
            }

            _table = Int8Layer.Pin(Blob.GetTensorData<sbyte>(WeightIndex(0)));
        }
        else if (x.Info.Type != ElementType.F32 || y.Info.Type != ElementType.F32)
        {
            throw Fail($"runs on f32 values, or int8 with a lookup table; got {x.Info.Type} → {y.Info.Type}");
        }
    }

    /// <summary>The kernels' activation code of an activation operator (softmax: −1).</summary>
    internal static int Code(Opcode op) => op switch
    {
        Opcode.Relu => Ref.Activations.Relu,
        Opcode.Tanh => Ref.Activations.Tanh,
        Opcode.Sigmoid => Ref.Activations.Sigmoid,
        Opcode.HardSigmoid => Ref.Activations.HardSigmoid,
        Opcode.HardSwish => Ref.Activations.HardSwish,
        Opcode.Silu => Ref.Activations.Silu,
        _ => -1,
    };

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        int n = Output.Elements(batch);
        if (_table is not null)
        {
            fixed (sbyte* t = _table)
            {
                // x, y: [n] int8
                if (Simd)
                {
                    SimdAct.LookupInt8(Q(arena, Inputs[0]), n, t, Q(arena, Output));
                }
                else
                {
                    Ref.Activations.LookupInt8(Q(arena, Inputs[0]), n, t, Q(arena, Output));
                }
            }

            return;
        }

        // x, y: [n] f32
        float* x = F(arena, Inputs[0]), y = F(arena, Output);
        if (_act < 0)
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

        if (Simd)
        {
            SimdAct.Apply(_act, new ReadOnlySpan<float>(x, n), new Span<float>(y, n));   // x → y in one pass
        }
        else
        {
            Buffer.MemoryCopy(x, y, (long)n * 4, (long)n * 4);
            Ref.Activations.Apply(_act, y, n);
        }
    }
}
