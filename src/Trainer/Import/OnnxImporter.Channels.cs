using EdgeNet.Trainer.Keras.Layers;

namespace EdgeNet.Trainer.Import;

public static partial class OnnxImporter
{
    /// <summary>
    /// Channel moves on activations (SqueezeNet's fire modules, ShuffleNetV2's units): Concat over the channels, Split and
    /// step-1 Slice of the channels (ChannelSlice), and torch's channel shuffle — view(N, g, C/g, H, W), transpose(1, 2),
    /// view(N, C, H, W) — read as three steps of a layout and made one ChannelShuffle layer at the last.
    /// </summary>
    private sealed partial class Builder
    {
        private void Concat(OnnxNode n)
        {
            var parts = new List<Value>();
            foreach (string i in n.Inputs)
            {
                parts.Add(_values.TryGetValue(i, out var v) ? v : throw Fail(n, $"concatenates '{i}', a constant, with activations; the importer maps concatenations of activations (or of constants alone, folded)"));
            }

            long axis = Attr(n, "axis", 1);
            var first = parts[0];
            int rank = first.Layout is Layout.Image or Layout.Nhwc or Layout.Pooled ? 4 : 2;   // Pooled is ONNX [N, C, 1, 1]
            long a = axis < 0 ? axis + rank : axis;
            bool channels = first.Layout switch
            {
                Layout.Image or Layout.Pooled => a == 1,
                Layout.Nhwc => a == 3,
                Layout.Vector => a == 1 && first.Chw is null,
                _ => false,
            };
            int[] spatial = first.T.SampleShape.Dims;
            bool Fits(Value p) => p.Layout == first.Layout && p.Chw is null && p.T.SampleShape.Rank == spatial.Length
                && p.T.SampleShape.Dims.AsSpan(0, spatial.Length - 1).SequenceEqual(spatial.AsSpan(0, spatial.Length - 1));
            if (!channels || !parts.TrueForAll(Fits))
            {
                throw Fail(n, $"concatenates {string.Join(", ", parts.Select(p => $"{p.T.ShapeText} ({p.Layout})"))} over axis {axis}; the importer maps a concatenation of feature maps over their channels (axis 1) or of vectors over their features");
            }

            var cat = new Concatenate(LayerName(n));
            Set(n, first with { T = cat.Apply([.. parts.Select(p => p.T)]), NonNegative = parts.All(p => p.NonNegative) });
            Row(n, cat, $"{parts.Count} inputs over the channels: {string.Join(" + ", parts.Select(p => p.T.SampleShape[-1]))}");
        }

        private void Split(OnnxNode n)
        {
            var x = ChannelsOf(n, Attr(n, "axis", 0));
            int c = x.T.SampleShape[-1];
            long[] sizes = OptionalConst(n, 1)?.AsInts() ?? Ints(n, "split") ?? Enumerable.Repeat((long)(c / n.Outputs.Count), n.Outputs.Count).ToArray();
            if (sizes.Length != n.Outputs.Count || sizes.Sum() != c || sizes.Any(s => s < 1))
            {
                throw Fail(n, $"splits {c} channels into [{string.Join(", ", sizes)}] for {n.Outputs.Count} outputs");
            }

            long begin = 0;
            for (int k = 0; k < sizes.Length; k++)
            {
                var slice = new ChannelSlice((int)begin, (int)sizes[k], LayerName(n, $"_{k}"));
                _values[n.Outputs[k]] = x with { T = slice.Apply(x.T) };
                _rows.Add(new OnnxImportRow(n.Label, n.OpType, slice.Name, $"channels [{begin}, {begin + sizes[k]}) of {c}"));
                begin += sizes[k];
            }
        }

        private void Slice(OnnxNode n)
        {
            long[] starts = Const(n, 1).AsInts(), ends = Const(n, 2).AsInts();
            long[] axes = OptionalConst(n, 3)?.AsInts() ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            long[] steps = OptionalConst(n, 4)?.AsInts() ?? Enumerable.Repeat(1L, starts.Length).ToArray();
            if (starts.Length != 1 || ends.Length != 1 || axes.Length != 1 || steps is not [1])
            {
                throw Fail(n, $"slices axes [{string.Join(", ", axes)}] with steps [{string.Join(", ", steps)}]; the importer maps a step-1 slice of one axis, the channels");
            }

            var x = ChannelsOf(n, axes[0]);
            int c = x.T.SampleShape[-1];
            long Clamp(long v) => Math.Clamp(v < 0 ? v + c : v, 0, c);   // ends of INT64_MAX mean "to the end"
            long begin = Clamp(starts[0]), end = Clamp(ends[0]);
            if (end <= begin)
            {
                throw Fail(n, $"takes channels [{begin}, {end}) of {c}: nothing");
            }

            var slice = new ChannelSlice((int)begin, (int)(end - begin), LayerName(n));
            Set(n, x with { T = slice.Apply(x.T) });
            Row(n, slice, $"channels [{begin}, {end}) of {c}");
        }

        /// <summary>The node's input when <paramref name="axis"/> is its channel axis (1 of a feature map [N, C, H, W], 3 of an NHWC one).</summary>
        private Value ChannelsOf(OnnxNode n, long axis)
        {
            var x = In(n, 0);
            bool channels = x.Layout switch
            {
                Layout.Image => axis is 1 or -3,
                Layout.Nhwc => axis is 3 or -1,
                Layout.Pooled => axis is 1 or -3,   // ONNX [N, C, 1, 1]
                Layout.Vector => axis is 1 or -1 && x.Chw is null,
                _ => false,
            };
            return channels ? x : throw Fail(n, $"cuts {x.T.ShapeText} ({x.Layout}) along axis {axis}; the importer maps cuts of the channels (axis 1 of [N, C, H, W])");
        }

        /// <summary>A Reshape that starts or ends torch's channel shuffle; false when <paramref name="n"/> is neither.</summary>
        private bool ChannelShuffleStep(OnnxNode n, Value x, long[] shape)
        {
            int h = x.T.SampleShape[0], w = x.T.SampleShape.Rank == 3 ? x.T.SampleShape[1] : 0, c = x.T.SampleShape[-1];
            if (shape.Count(d => d == -1) == 1 && shape.Length >= 2)
            {
                // One inferred dimension: what the others (the batch aside) leave of the map's C·H·W.
                long known = shape.Skip(1).Where(d => d != -1).Aggregate(1L, (p, d) => p * d);
                shape = shape.Select((d, i) => d == -1 && i > 0 && known > 0 ? (long)c * h * w / known : d).ToArray();
            }

            if (x.Layout == Layout.Image && shape is [_, long g, long per, long sh, long sw] && g * per == c && sh == h && sw == w && g >= 1)
            {
                Alias(n, x with { Layout = Layout.Grouped, Groups = (int)g }, $"[N, {c}, {h}, {w}] viewed as [N, {g}, {per}, {h}, {w}]: a channel shuffle's first step");
                return true;
            }

            if (x.Layout == Layout.Shuffled && shape is [_, long c2, long h2, long w2] && c2 == c && h2 == h && w2 == w)
            {
                var shuffle = new ChannelShuffle(x.Groups, LayerName(n));
                Set(n, x with { T = shuffle.Apply(x.T), Layout = Layout.Image, Groups = 0 });
                Row(n, shuffle, $"{x.Groups} groups of {c / x.Groups} channels interleaved");
                return true;
            }

            if (x.Layout is Layout.Grouped or Layout.Shuffled)
            {
                throw Fail(n, $"reshapes a {x.Layout} map to [{string.Join(", ", shape)}]; the importer maps torch's channel shuffle, view(N, g, C/g, H, W).transpose(1, 2).view(N, C, H, W)");
            }

            return false;
        }
    }
}
