using EdgeNet.Trainer.Keras.Layers;

namespace EdgeNet.Trainer.Import;

public static partial class OnnxImporter
{
    /// <summary>Windows: strides, ONNX's pads against Keras' 'same'/'valid', the zero padding that carries the rest.</summary>
    private sealed partial class Builder
    {
        private Value Image(OnnxNode n, Value x) =>
            x.Layout == Layout.Image ? x : throw Fail(n, $"needs a feature map [N, C, H, W]; its input is {x.T.ShapeText} ({x.Layout})");

        private static (int H, int W) Strides(OnnxNode n) => Ints(n, "strides") is [long a, long b] ? ((int)a, (int)b) : (1, 1);

        /// <summary>
        /// Keras' padding for the node's: 'valid' for none, 'same' where ONNX's pads are what TensorFlow's SAME gives
        /// (more at the end when odd) — for an average pooling only when the padding is not counted — else 'valid'
        /// behind an explicit zero padding (folded back into the convolution's pads at export).
        /// </summary>
        private (string Padding, (int Top, int Bottom, int Left, int Right)? Pad) Padding(OnnxNode n, Value x, int kh, int kw, int sh, int sw, bool countIncludePad)
        {
            int h = x.T.SampleShape[0], w = x.T.SampleShape[1];
            (int Begin, int End) Same(int size, int k, int s)
            {
                int o = (size + s - 1) / s, total = Math.Max(((o - 1) * s) + k - size, 0);
                return (total / 2, total - (total / 2));
            }

            var (st, sb) = Same(h, kh, sh);
            var (sl, sr) = Same(w, kw, sw);
            string auto = AttrS(n, "auto_pad", "NOTSET");
            int t, l, b, r;
            switch (auto)
            {
                case "SAME_UPPER": (t, b, l, r) = (st, sb, sl, sr); break;
                case "SAME_LOWER": (t, b, l, r) = (sb, st, sr, sl); break;
                case "VALID": (t, b, l, r) = (0, 0, 0, 0); break;
                case "NOTSET":
                case "":
                    long[] p = Ints(n, "pads") ?? [0, 0, 0, 0];
                    if (p.Length != 4)
                    {
                        throw Fail(n, $"has pads [{string.Join(", ", p)}]; a 2-D window needs 4");
                    }

                    (t, l, b, r) = ((int)p[0], (int)p[1], (int)p[2], (int)p[3]);
                    break;
                default: throw Fail(n, $"has auto_pad '{auto}'");
            }

            if (t == 0 && b == 0 && l == 0 && r == 0)
            {
                return ("valid", null);
            }

            if ((t, b, l, r) == (st, sb, sl, sr) && (n.OpType != "AveragePool" || !countIncludePad))
            {
                return ("same", null);
            }

            return ("valid", (t, b, l, r));
        }

        /// <summary>
        /// ceil_mode as explicit end padding: the output size is ceil((size + pads − k) / s) + 1. A max pooling over values a
        /// ReLU made reads those zeros as nothing (each window still holds a real value). When that last window would start
        /// in the end padding, PyTorch drops it and ONNX Runtime (before opset 19) keeps it — torch's own export of such a
        /// pooling does not load in ONNX Runtime — so that case is refused.
        /// </summary>
        private (string Padding, (int Top, int Bottom, int Left, int Right)? Pad) CeilPads(OnnxNode n, Value x, int kh, int kw, int sh, int sw, string padding, (int Top, int Bottom, int Left, int Right)? pad)
        {
            int h = x.T.SampleShape[0], w = x.T.SampleShape[1];
            var (t, b, l, r) = pad is { } p ? (p.Top, p.Bottom, p.Left, p.Right) : (0, 0, 0, 0);
            if (padding == "same")
            {
                return (padding, pad); // 'same' already covers every input position: ceil adds nothing
            }

            int Extra(int size, int begin, int end, int k, int s, string axis)
            {
                int padded = size + begin + end;
                int floorOut = ((padded - k) / s) + 1;
                int ceilOut = ((padded - k + s - 1) / s) + 1;
                if (ceilOut > floorOut && (ceilOut - 1) * s >= size + begin)
                {
                    throw Fail(n, $"has ceil_mode 1 with a last {axis} window that would start in the padding (PyTorch drops it, ONNX Runtime keeps it); re-export with ceil_mode=False or without that padding");
                }

                return ceilOut > floorOut ? ((ceilOut - 1) * s) + k - padded : 0;
            }

            int eh = Extra(h, t, b, kh, sh, "row"), ew = Extra(w, l, r, kw, sw, "column");
            return eh == 0 && ew == 0 ? (padding, pad) : ("valid", (t, b + eh, l, r + ew));
        }

        private Value ZeroPad(OnnxNode n, Value x, (int Top, int Bottom, int Left, int Right)? pad, string suffix)
        {
            if (pad is not { } p)
            {
                return x;
            }

            var zp = new ZeroPadding2D(p.Top, p.Bottom, p.Left, p.Right, LayerName(n, suffix));
            return x with { T = zp.Apply(x.T) };
        }

        private static string PadNote(string padding, (int Top, int Bottom, int Left, int Right)? pad) =>
            pad is { } p ? $"pads (top {p.Top}, bottom {p.Bottom}, left {p.Left}, right {p.Right}) as a ZeroPadding2D" : padding;
    }
}
