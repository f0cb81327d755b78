using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Channels [begin, begin + size) of the last axis (ShuffleNet's channel split; tf.split's pieces). Recorded as the
    /// contract's <c>channel_slice</c>.
    /// </summary>
    public static Tensor ChannelSlice(Tensor x, int begin, int size)
    {
        var y = Unrecorded(() => Slice(x, -1, begin, size));
        if (OpRecording.Active)
        {
            OpRecording.Record(OperatorSchemas.ChannelSlice.Name, [x], [y], Attr.Begin.With(begin), Attr.Size.With(size));
        }

        return y;
    }

    /// <summary>
    /// y[…, k·g + i] = x[…, i·C/g + k]: the channels of <paramref name="groups"/> groups interleaved (ShuffleNet's
    /// channel shuffle, torch's view(N, g, C/g, H, W).transpose(1, 2)). Computed as a product with the permutation
    /// matrix (exact: each output is one input times 1), so its backward is the transposed permutation on every backend.
    /// </summary>
    public static Tensor ChannelShuffle(Tensor x, int groups)
    {
        int c = x.Shape[-1];
        if (groups < 1 || c % groups != 0)
        {
            throw new ArgumentException($"a channel shuffle of {c} channels needs a group count that divides them; got {groups}");
        }

        int per = c / groups;
        var p = new float[c * c];   // [C, C]: row i·per + k has its 1 in column k·g + i
        for (int i = 0; i < groups; i++)
        {
            for (int k = 0; k < per; k++)
            {
                p[((i * per) + k) * c + (k * groups) + i] = 1f;
            }
        }

        var y = Unrecorded(() =>
        {
            var perm = Tensor.FromArray(p, new Shape([c, c]), x.Backend);
            return Reshape(MatMul(Reshape(x, [x.Size / c, c]), perm), x.Shape.Dims);
        });
        if (OpRecording.Active)
        {
            OpRecording.Record(OperatorSchemas.ChannelShuffle.Name, [x], [y], Attr.Groups.With(groups));
        }

        return y;
    }

    /// <summary>Runs <paramref name="f"/> with no recorder (a composite op records itself once, as one contract operator).</summary>
    private static Tensor Unrecorded(Func<Tensor> f)
    {
        if (!OpRecording.Active)
        {
            return f();
        }

        var recorder = OpRecording.Swap((IOpRecorder?)null);
        try
        {
            return f();
        }
        finally
        {
            OpRecording.Swap(recorder);
        }
    }
}
