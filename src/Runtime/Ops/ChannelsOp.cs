using EdgeNet.Runtime.Threading;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using Ref = EdgeNet.Kernels.Reference.Channels;
using SimdCh = EdgeNet.Kernels.Simd.Channels;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// Channel moves over the last axis, float or int8 (a copy: int8 values keep their scale and zero point, which the
/// writer made equal): concat (SqueezeNet's fire modules, ShuffleNet's units), channel_slice (ShuffleNet's split),
/// channel_shuffle (its interleave of groups).
/// </summary>
internal sealed unsafe class ChannelsOp : OpKernel
{
    private readonly int _elem, _groups, _begin;

    public ChannelsOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        var y = Output;
        var type = y.Info.Type;
        _elem = type switch { ElementType.F32 => 4, ElementType.I8 => 1, _ => throw Fail($"moves f32 or int8 values; got {type}") };
        int outC = y.SampleDim(y.SampleRank - 1), rows = y.SampleElements / outC, total = 0;
        foreach (var x in Inputs)
        {
            int c = x.SampleDim(x.SampleRank - 1);
            if (x.Info.Type != type || x.SampleElements / c != rows || x.SampleRank != y.SampleRank)
            {
                throw Fail($"input {x.Info.ShapeText} ({x.Info.Type}) and output {y.Info.ShapeText} ({type}) must have one type and the same shape but for the last axis");
            }

            if (type == ElementType.I8 && (x.Scale != y.Scale || x.ZeroPoint != y.ZeroPoint))
            {
                throw Fail($"int8 input '{x.Info.Name}' has scale {x.Scale} and zero point {x.ZeroPoint}, the output {y.Scale} and {y.ZeroPoint}; a channel move copies codes, so the writer must requantize the input first");
            }

            total += c;
        }

        int inC = Inputs[0].SampleDim(Inputs[0].SampleRank - 1);
        switch (op.Opcode)
        {
            case Opcode.Concat when total != outC:
                throw Fail($"the inputs have {total} channels together, the output {outC}");
            case Opcode.ChannelSlice:
                _begin = (int)Schema.Value(op, Attr.Begin).AsInt64();
                int size = (int)Schema.Value(op, Attr.Size).AsInt64();
                if (size != outC || (long)_begin + size > inC)
                {
                    throw Fail($"channels [{_begin}, {(long)_begin + size}) of {inC} into an output of {outC}");
                }

                break;
            case Opcode.ChannelShuffle:
                _groups = (int)Schema.Value(op, Attr.Groups).AsInt64();
                if (inC != outC || inC % _groups != 0)
                {
                    throw Fail($"shuffles {inC} channels in {_groups} groups into {outC}; the groups must divide the channels, which stay as many");
                }

                break;
        }
    }

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        // x_i: [rows, C_i]; y: [rows, C]
        int outC = Output.SampleDim(Output.SampleRank - 1), rows = Output.Elements(batch) / outC;
        byte* y = arena + Output.Offset;
        if (Op.Opcode == Opcode.ChannelShuffle)
        {
            if (Simd)
            {
                SimdCh.Shuffle(arena + Inputs[0].Offset, y, rows, outC, _groups, _elem);
            }
            else
            {
                Ref.Shuffle(arena + Inputs[0].Offset, y, rows, outC, _groups, _elem);
            }

            return;
        }

        int at = 0;
        foreach (var x in Inputs)
        {
            int c = x.SampleDim(x.SampleRank - 1), count = Op.Opcode == Opcode.ChannelSlice ? outC : c, from = Op.Opcode == Opcode.ChannelSlice ? _begin : 0;
            if (Simd)
            {
                SimdCh.Copy(arena + x.Offset, c, from, y, outC, at, count, rows, _elem);
            }
            else
            {
                Ref.Copy(arena + x.Offset, c, from, y, outC, at, count, rows, _elem);
            }

            at += count;
        }
    }
}
