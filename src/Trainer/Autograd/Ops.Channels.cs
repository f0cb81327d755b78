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
    /// channel shuffle, torch's view(N, g, C/g, H, W).transpose(1, 2); with g = H·W over a flattened map, NHWC's order
    /// made ONNX's C, H, W). Computed as a gather of single values by index (exact), so its backward is the scatter on
    /// every backend; the indices are floats, exact for tensors of up to 2^24 values.
    /// </summary>
    public static Tensor ChannelShuffle(Tensor x, int groups)
    {
        int c = x.Shape[-1];
        if (groups < 1 || c % groups != 0)
        {
            throw new ArgumentException($"a channel shuffle of {c} channels needs a group count that divides them; got {groups}");
        }

        if (x.Size > 1 << 24)
        {
            throw new ArgumentException($"a channel shuffle of {x.Shape} ({x.Size:N0} values) is past the 2^24 values its float indices address exactly; shuffle smaller batches");
        }

        int per = c / groups, rows = x.Size / c;
        var index = new float[x.Size];   // y[r, k·g + i] reads x[r, i·per + k]
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < groups; i++)
            {
                for (int k = 0; k < per; k++)
                {
                    index[(r * c) + (k * groups) + i] = (r * c) + (i * per) + k;
                }
            }
        }

        var y = Unrecorded(() =>
        {
            var idx = Tensor.FromArray(index, new Shape([x.Size]), x.Backend);
            return Reshape(Gather(Reshape(x, [x.Size, 1]), idx), x.Shape.Dims);
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
