using EdgeNet.Trainer.Keras.Layers;

namespace EdgeNet.Trainer.Import;

public static partial class OnnxImporter
{
    /// <summary>ONNX's gates i, o, f, c at Keras' positions i, f, c, o.</summary>
    private static readonly int[] KerasGate = [0, 3, 1, 2];

    private sealed partial class Builder
    {
        // LSTM: X [T, N, I] (or [N, T, I] with layout 1), W [1, 4H, I], R [1, 4H, H], B [1, 8H] (Wb then Rb), gates i, o, f, c
        // → Keras LSTM (kernel [I, 4H], recurrent kernel [H, 4H], bias [4H], gates i, f, c, o); its Y_h is the last output.
        private void Lstm(OnnxNode n)
        {
            var x = In(n, 0);
            bool batchFirst = Attr(n, "layout", 0) != 0;
            if (x.Layout != (batchFirst ? Layout.Sequence : Layout.TimeMajor))
            {
                throw Fail(n, $"reads a {x.Layout} value {x.T.ShapeText}; an LSTM reads [T, N, F] (a Transpose [1, 0, 2] of the [N, T, F] input) or, with layout 1, [N, T, F]");
            }

            string direction = AttrS(n, "direction", "forward");
            var activations = n.Attributes.TryGetValue("activations", out var acts) ? acts.Strings : [];
            bool standard = activations.Count == 0 || string.Join(",", activations).Equals("Sigmoid,Tanh,Tanh", StringComparison.OrdinalIgnoreCase);
            if (direction != "forward" || n.Attributes.ContainsKey("clip") || Attr(n, "input_forget", 0) != 0 || !standard)
            {
                throw Fail(n, $"is a {direction} LSTM{(n.Attributes.ContainsKey("clip") ? " with clip" : "")}{(standard ? "" : $" with activations {string.Join(", ", activations)}")}; the importer maps a forward LSTM with sigmoid, tanh, tanh, no clip, separate input and forget gates");
            }

            for (int i = 4; i < n.Inputs.Count; i++)
            {
                string s = n.Inputs[i];
                bool zero = s.Length == 0 || _zeros.Contains(s) || (i is 5 or 6 && _consts.TryGetValue(s, out var c) && c.AsFloats().All(v => v == 0));
                if (!zero)
                {
                    throw Fail(n, $"has input {i} '{s}' ({(i == 4 ? "sequence_lens" : i == 7 ? "peepholes" : "an initial state")}); the importer maps full sequences from a zero state without peepholes");
                }
            }

            if (n.Outputs.Count > 0 && n.Outputs[0].Length > 0 && Consumers(n.Outputs[0]) > 0)
            {
                throw Fail(n, "has its every-step output Y read; the importer maps an LSTM whose last hidden state (Y_h) is read");
            }

            var w = Const(n, 1);
            var r = Const(n, 2);
            var b = OptionalConst(n, 3);
            int h = (int)Attr(n, "hidden_size", w.Dims.Length == 3 ? w.Dims[1] / 4 : 0), f = x.T.SampleShape[1];
            if (w.Dims is not [1, _, _] || w.Dims[1] != 4 * h || w.Dims[2] != f || r.Dims is not [1, _, _] || r.Dims[1] != 4 * h || r.Dims[2] != h || (b is not null && b.ElementCount != 8 * h))
            {
                throw Fail(n, $"has W {w.ShapeText}, R {r.ShapeText}{(b is null ? "" : $", B {b.ShapeText}")} for hidden size {h} and {f} features; one direction needs [1, {4 * h}, {f}], [1, {4 * h}, {h}], [1, {8 * h}]");
            }

            float[] wv = w.AsFloats(), rv = r.AsFloats(), bv = b?.AsFloats() ?? new float[8 * h];
            var kernel = new float[f * 4 * h];
            var recurrent = new float[h * 4 * h];
            var bias = new float[4 * h];
            for (int g = 0; g < 4; g++)
            {
                int kg = KerasGate[g];
                for (int j = 0; j < h; j++)
                {
                    int row = (g * h) + j, col = (kg * h) + j;
                    for (int i = 0; i < f; i++)
                    {
                        kernel[(i * 4 * h) + col] = wv[(row * f) + i];
                    }

                    for (int i = 0; i < h; i++)
                    {
                        recurrent[(i * 4 * h) + col] = rv[(row * h) + i];
                    }

                    bias[col] = bv[row] + bv[(4 * h) + row];
                }
            }

            var lstm = new LSTM(h, returnSequences: false, name: LayerName(n));
            var y = lstm.Apply(x.T);
            lstm.Cell.Kernel!.Assign(kernel);
            lstm.Cell.RecurrentKernel!.Assign(recurrent);
            lstm.Cell.Bias!.Assign(bias);
            if (n.Outputs.Count > 1)
            {
                _values[n.Outputs[1]] = new Value(y, Layout.LastState);
            }

            Row(n, lstm, $"hidden {h}; gates reordered from ONNX's i, o, f, c to Keras' i, f, c, o; the two biases summed; Y_h is its output");
        }

        // h[-1] / h.squeeze(0) of an LSTM's last state [1, N, H]: the [N, H] EdgeNet holds.
        private void LastState(OnnxNode n)
        {
            var x = In(n, 0);
            if (x.Layout != Layout.LastState)
            {
                throw Fail(n, $"reads a {x.Layout} value; the importer maps {n.OpType} on activations only to take an LSTM's last state");
            }

            bool ok = n.OpType == "Gather"
                ? Attr(n, "axis", 0) == 0 && Const(n, 1).AsInts() is [0 or -1] && Const(n, 1).Dims.Length == 0
                : (OptionalConst(n, 1)?.AsInts() ?? Ints(n, "axes") ?? [0]) is [0];
            if (!ok)
            {
                throw Fail(n, "does not take the one direction of an LSTM's state [1, N, H] (Gather index 0 or -1 on axis 0, or Squeeze of axis 0)");
            }

            Alias(n, x with { Layout = Layout.Vector }, "the last hidden state [N, H]");
        }
    }
}
