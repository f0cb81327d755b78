using EdgeNet.Trainer.Keras.Layers;

namespace EdgeNet.Trainer.Import;

public static partial class OnnxImporter
{
    /// <summary>
    /// The squeeze-and-excitation families' operators (MobileNetV3, EfficientNet): the hard sigmoid and hard swish, SiLU
    /// written as x · sigmoid(x) (fused back into one activation), products of two activations (a gate [N, C, 1, 1]
    /// scaling a map per channel), and the 1×1 convolutions on a pooled [N, C, 1, 1] value, which are Dense layers.
    /// </summary>
    private sealed partial class Builder
    {
        // HardSigmoid: max(0, min(1, α·x + β)); EdgeNet's (Keras 3's, PyTorch's) is α 1/6, β 1/2. Mul(x, HardSigmoid(x)) is the hard swish.
        private void HardSigmoid(OnnxNode n)
        {
            float alpha = AttrF(n, "alpha", 0.2f), beta = AttrF(n, "beta", 0.5f);
            if (Math.Abs(alpha - (1f / 6f)) > 1e-6f || beta != 0.5f)
            {
                throw Fail(n, $"has alpha {Num(alpha)} and beta {Num(beta)}; the importer maps the hard sigmoid of PyTorch and Keras 3 (alpha 1/6, beta 0.5; Keras 2's 0.2 is not it)");
            }

            if (!FuseGate(n, "hard_swish", "HardSigmoid + Mul(x, ·): the hard swish"))
            {
                Activation(n, new ActivationLayer("hard_sigmoid", LayerName(n)), nonNegative: true, "");
            }
        }

        private void Sigmoid(OnnxNode n)
        {
            if (!FuseGate(n, "silu", "Sigmoid + Mul(x, ·): SiLU"))
            {
                Activation(n, new ActivationLayer("sigmoid", LayerName(n)), nonNegative: true, "");
            }
        }

        /// <summary>When the gate g = f(x) is read only by a Mul(x, g), the pair is one activation; returns whether it was.</summary>
        private bool FuseGate(OnnxNode gate, string activation, string note)
        {
            string x = gate.Inputs[0], y = gate.Outputs[0];
            if (Consumers(y) != 1 || g.Nodes.FirstOrDefault(m => m.OpType == "Mul" && m.Inputs.Contains(y)) is not { } mul
                || mul.Inputs.Count != 2 || !mul.Inputs.Contains(x) || x == y)
            {
                return false;
            }

            var v = In(gate, 0);
            var layer = new ActivationLayer(activation, LayerName(gate));
            _done.Add(mul);
            _values[mul.Outputs[0]] = v with { T = layer.Apply(v.T), NonNegative = false };
            _rows.Add(new OnnxImportRow($"{gate.Label} + {mul.Label}", $"{gate.OpType} + Mul", layer.Name, note));
            return true;
        }

        private void Mul(OnnxNode n)
        {
            if (ConstantAffine(n))
            {
                return;
            }

            if (n.Inputs.Count != 2 || !_values.TryGetValue(n.Inputs[0], out var a) || !_values.TryGetValue(n.Inputs[1], out var b))
            {
                throw Fail(n, "multiplies what the importer cannot read as two activations or an activation and a constant");
            }

            static bool OnePixel(Value v) => v.Layout == Layout.Image && v.T.SampleShape[0] == 1 && v.T.SampleShape[1] == 1;
            if ((a.Layout == Layout.Pooled || OnePixel(a)) && b.Layout == Layout.Image && !OnePixel(b))
            {
                (a, b) = (b, a);   // torchvision's SqueezeExcitation writes scale * input
            }

            var mul = new Multiply(LayerName(n));
            if (a.Layout == Layout.Image && OnePixel(b) && !OnePixel(a) && a.T.SampleShape[2] == b.T.SampleShape[2])
            {
                Set(n, a with { T = mul.Apply(a.T, b.T), NonNegative = false });
                Row(n, mul, $"a gate [N, {b.T.SampleShape[2]}, 1, 1] scaling the map per channel");
                return;
            }

            if (a.Layout == Layout.Image && b.Layout == Layout.Pooled && a.T.SampleShape[2] == b.T.SampleShape[0])
            {
                int c = b.T.SampleShape[0];
                var gate = new Reshape([1, 1, c], LayerName(n, "_gate"));
                Set(n, a with { T = mul.Apply(a.T, gate.Apply(b.T)), NonNegative = false });
                Row(n, mul, $"a gate [N, {c}, 1, 1] (held as [N, {c}], reshaped to [N, 1, 1, {c}]) scaling the map per channel");
                return;
            }

            if (a.Layout != b.Layout || !a.T.SampleShape.Equals(b.T.SampleShape) || a.Chw != b.Chw)
            {
                throw Fail(n, $"multiplies {a.T.ShapeText} ({a.Layout}) by {b.T.ShapeText} ({b.Layout}); the importer maps products of one shape and a [N, C, 1, 1] gate times a feature map");
            }

            Set(n, a with { T = mul.Apply(a.T, b.T), NonNegative = a.NonNegative && b.NonNegative });
            Row(n, mul, "element-wise");
        }

        // A 1×1 convolution of a pooled [N, C, 1, 1] value (squeeze-and-excitation's reduce and expand): a Dense layer [C, M].
        private void PooledConv(OnnxNode n, Value x)
        {
            var w = Const(n, 1);
            var b = OptionalConst(n, 2);
            int c = x.T.SampleShape[0];
            if (w.Dims is not [long m, long cin, 1, 1] || cin != c || Attr(n, "group", 1) != 1 || Strides(n) != (1, 1) || (Ints(n, "pads") ?? []).Any(p => p != 0))
            {
                throw Fail(n, $"convolves a pooled [N, {c}, 1, 1] value with weights {w.ShapeText}; the importer maps a 1×1 convolution (group 1, stride 1, no padding) there, as a Dense layer");
            }

            float[] wv = w.AsFloats();
            var k = new float[wv.Length];   // [C, M] from [M, C, 1, 1]
            for (int o = 0; o < m; o++)
            {
                for (int ci = 0; ci < c; ci++)
                {
                    k[(ci * (int)m) + o] = wv[(o * c) + ci];
                }
            }

            var dense = new Dense((int)m, useBias: b is not null, name: LayerName(n));
            var y = dense.Apply(x.T);
            dense.Kernel!.Assign(k);
            dense.Bias?.Assign(Bias(n, b, (int)m));
            Set(n, new Value(y, Layout.Pooled));
            Row(n, dense, $"1×1 on [N, {c}, 1, 1]: Dense, {w.ShapeText} → [{c}, {m}]");
        }
    }
}
