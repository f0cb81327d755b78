using EdgeNet.Trainer.Keras.Layers;

namespace EdgeNet.Trainer.Import;

public static partial class OnnxImporter
{
    /// <summary>
    /// Add, Sub, Mul and Div of a feature map and a constant of one value or one per channel ([C, 1, 1], [1, C, 1, 1]):
    /// a normalization written into the graph ((x − mean) / std, torchvision's transform_input), a scale. Each becomes a 1×1
    /// depthwise convolution with the scale as its kernel and the shift as its bias, which every scheme runs.
    /// </summary>
    private sealed partial class Builder
    {
        /// <summary>Maps <paramref name="n"/> when one input is an activation and the other a constant; false when both are activations.</summary>
        private bool ConstantAffine(OnnxNode n)
        {
            if (n.Inputs.Count != 2)
            {
                return false;
            }

            bool firstIsValue = _values.ContainsKey(n.Inputs[0]);
            string other = firstIsValue ? n.Inputs[1] : n.Inputs[0];
            if (firstIsValue == _values.ContainsKey(n.Inputs[1]) || !_consts.TryGetValue(other, out var k))
            {
                return false;
            }

            var x = In(n, firstIsValue ? 0 : 1);
            if (x.Layout != Layout.Image)
            {
                throw Fail(n, $"applies a constant {k.ShapeText} to {x.T.ShapeText} ({x.Layout}); the importer maps constants per channel of a feature map [N, C, H, W]");
            }

            int c = x.T.SampleShape[-1];
            float[] v = k.AsFloats();
            bool perChannel = k.Dims.Length >= 3 && k.Dims[^1] == 1 && k.Dims[^2] == 1 && k.Dims[^3] == c && k.ElementCount == c;
            if (v.Length != 1 && !perChannel)
            {
                throw Fail(n, $"applies a constant {k.ShapeText} to a feature map of {c} channels; the importer maps one value or one per channel ([C, 1, 1])");
            }

            float At(int ch) => v.Length == 1 ? v[0] : v[ch];
            var scale = new float[c];
            var shift = new float[c];
            for (int ch = 0; ch < c; ch++)
            {
                (scale[ch], shift[ch]) = (n.OpType, firstIsValue) switch
                {
                    ("Add", _) => (1f, At(ch)),
                    ("Sub", true) => (1f, -At(ch)),
                    ("Sub", false) => (-1f, At(ch)),
                    ("Mul", _) => (At(ch), 0f),
                    ("Div", true) => (1f / At(ch), 0f),
                    _ => throw Fail(n, "divides a constant by an activation; the importer maps x / constant"),
                };
            }

            var dw = new DepthwiseConv2D([1, 1], [1, 1], "valid", useBias: true, name: LayerName(n));
            var y = dw.Apply(x.T);
            dw.Kernel!.Assign(scale);
            dw.Bias!.Assign(shift);
            bool keepsSign = scale.All(s => s > 0) && shift.All(b => b == 0);
            Set(n, x with { T = y, NonNegative = x.NonNegative && keepsSign });
            Row(n, dw, $"{(v.Length == 1 ? "one constant" : $"a constant per channel {k.ShapeText}")}: a 1×1 depthwise convolution (scale and bias)");
            return true;
        }
    }
}
