using EdgeNet.Trainer.Keras.Layers;

namespace EdgeNet.Trainer.Import;

public static partial class OnnxImporter
{
    private sealed partial class Builder
    {
        // Conv: W [M, C/group, kh, kw] → Conv2D kernel [kh, kw, C, M] (group 1) or DepthwiseConv2D [kh, kw, C, M/C].
        private void Conv(OnnxNode n)
        {
            if (In(n, 0) is { Layout: Layout.Pooled } pooled)
            {
                PooledConv(n, pooled);
                return;
            }

            var x = Image(n, In(n, 0));
            var w = Const(n, 1);
            var b = OptionalConst(n, 2);
            if (w.Dims.Length != 4)
            {
                throw Fail(n, $"has weights {w.ShapeText}; a 2-D convolution needs [M, C/group, kh, kw]");
            }

            if (Ints(n, "dilations") is { } dil && dil.Any(d => d != 1))
            {
                throw Fail(n, $"has dilations [{string.Join(", ", dil)}]; the runtime's convolutions are not dilated");
            }

            int m = (int)w.Dims[0], cg = (int)w.Dims[1], kh = (int)w.Dims[2], kw = (int)w.Dims[3];
            int c = x.T.SampleShape[2], group = (int)Attr(n, "group", 1);
            var (sh, sw) = Strides(n);
            var (padding, pad) = Padding(n, x, kh, kw, sh, sw, countIncludePad: true);
            var input = ZeroPad(n, x, pad, "_pad").T;
            float[] wv = w.AsFloats();
            if (group == 1 && cg == c)
            {
                var conv = new Conv2D(m, [kh, kw], [sh, sw], padding, useBias: b is not null, name: LayerName(n));
                var y = conv.Apply(input);
                var k = new float[wv.Length]; // [kh, kw, C, M] from [M, C, kh, kw]
                for (int o = 0; o < m; o++)
                {
                    for (int ci = 0; ci < c; ci++)
                    {
                        for (int i = 0; i < kh; i++)
                        {
                            for (int j = 0; j < kw; j++)
                            {
                                k[((((i * kw) + j) * c) + ci) * m + o] = wv[((((o * c) + ci) * kh) + i) * kw + j];
                            }
                        }
                    }
                }

                conv.Kernel!.Assign(k);
                conv.Bias?.Assign(Bias(n, b, m));
                Set(n, new Value(y, Layout.Image));
                Row(n, conv, $"{w.ShapeText} → [{kh}, {kw}, {c}, {m}], padding {PadNote(padding, pad)}");
                return;
            }

            if (group == c && cg == 1 && m % c == 0)
            {
                int mult = m / c;
                var dw = new DepthwiseConv2D([kh, kw], [sh, sw], padding, mult, useBias: b is not null, name: LayerName(n));
                var y = dw.Apply(input);
                var k = new float[wv.Length]; // [kh, kw, C, mult] from [C·mult, 1, kh, kw]
                for (int ci = 0; ci < c; ci++)
                {
                    for (int q = 0; q < mult; q++)
                    {
                        for (int i = 0; i < kh; i++)
                        {
                            for (int j = 0; j < kw; j++)
                            {
                                k[((((i * kw) + j) * c) + ci) * mult + q] = wv[((((ci * mult) + q) * kh) + i) * kw + j];
                            }
                        }
                    }
                }

                dw.Kernel!.Assign(k);
                dw.Bias?.Assign(Bias(n, b, m));
                Set(n, new Value(y, Layout.Image));
                Row(n, dw, $"group {group}: depthwise, {w.ShapeText} → [{kh}, {kw}, {c}, {mult}], padding {PadNote(padding, pad)}");
                return;
            }

            throw Fail(n, $"is a grouped convolution (group {group}, {c} input channels, weights {w.ShapeText}); the runtime has plain (group 1) and depthwise (group = channels) convolutions");
        }

        private float[] Bias(OnnxNode n, OnnxTensor? b, int units)
        {
            var v = b!.AsFloats();
            return v.Length == units ? v : throw Fail(n, $"has a bias of {v.Length} values for {units} outputs");
        }

        private void BatchNorm(OnnxNode n)
        {
            var x = In(n, 0);
            int c = x.T.SampleShape.Last;
            var parts = Enumerable.Range(1, 4).Select(i => Const(n, i).AsFloats()).ToArray();
            if (parts.Any(p => p.Length != c))
            {
                throw Fail(n, $"has scale, bias, mean and variance of {string.Join("/", parts.Select(p => p.Length))} values for {c} channels");
            }

            if (x.Chw is not null)
            {
                throw Fail(n, "normalizes a flattened feature map whose features EdgeNet holds in NHWC order; the importer maps BatchNormalization on feature maps and plain vectors");
            }

            var bn = new BatchNormalization(momentum: AttrF(n, "momentum", 0.9f), epsilon: AttrF(n, "epsilon", 1e-5f), name: LayerName(n));
            var y = bn.Apply(x.T);
            bn.Gamma!.Assign(parts[0]);
            bn.Beta!.Assign(parts[1]);
            bn.MovingMean!.Assign(parts[2]);
            bn.MovingVariance!.Assign(parts[3]);
            Set(n, x with { T = y, NonNegative = false });
            Row(n, bn, $"epsilon {Num(bn.Epsilon)}; folded into the convolution before it at export");
        }

        private void Activation(OnnxNode n, Layer layer, bool nonNegative, string note)
        {
            var x = In(n, 0);
            Set(n, x with { T = layer.Apply(x.T), NonNegative = nonNegative });
            Row(n, layer, note);
        }

        private void Clip(OnnxNode n)
        {
            // Opset 11+: min and max are optional constant inputs (opset 6's attributes are not read: MinOpset is 11).
            float lo = OptionalConst(n, 1)?.AsFloats() is [float a] ? a : float.NegativeInfinity;
            float hi = OptionalConst(n, 2)?.AsFloats() is [float z] ? z : float.PositiveInfinity;
            if (lo != 0)
            {
                throw Fail(n, $"clips to [{Num(lo)}, {Num(hi)}]; the importer maps clips from 0 (ReLU, ReLU6)");
            }

            Activation(n, new ReLU(float.IsPositiveInfinity(hi) ? null : hi, LayerName(n)), nonNegative: true, hi == 6 ? "ReLU6: fused into the convolution at export" : $"ReLU(max {Num(hi)})");
        }

        private void Softmax(OnnxNode n)
        {
            var x = In(n, 0);
            long axis = Attr(n, "axis", -1);
            int rank = x.T.SampleShape.Rank + 1;
            bool last = axis == -1 || axis == rank - 1;
            bool ok = x.Layout switch
            {
                Layout.Vector => last,
                Layout.Pooled => axis == 1,
                Layout.Sequence or Layout.Nhwc => last,
                _ => false,
            };
            if (!ok)
            {
                throw Fail(n, $"is a softmax over axis {axis} of a {x.Layout} value {x.T.ShapeText}; the importer maps a softmax over the last axis EdgeNet holds (the features of [N, F], the channels of [N, C, 1, 1])");
            }

            Activation(n, new Softmax(LayerName(n)), nonNegative: true, "");
        }

        private void AddNode(OnnxNode n)
        {
            if (n.Inputs.Count == 2 && _values.TryGetValue(n.Inputs[0], out var a) && _values.TryGetValue(n.Inputs[1], out var b))
            {
                if (a.Layout != b.Layout || !a.T.SampleShape.Equals(b.T.SampleShape) || a.Chw != b.Chw)
                {
                    throw Fail(n, $"adds {a.T.ShapeText} and {b.T.ShapeText}; the importer maps the addition of two equal shapes (a residual connection)");
                }

                var add = new Add(LayerName(n));
                Set(n, new Value(add.Apply(a.T, b.T), a.Layout, a.Chw));
                Row(n, add, a.Layout == Layout.Image ? "residual" : "sum of two branches");
                return;
            }

            if (ConstantAffine(n))
            {
                return;
            }

            throw Fail(n, "adds a constant to an activation that is not a feature map; the importer maps that as the bias after a MatMul, or per channel of a feature map");
        }

        // MatMul by a constant [K, N], and the Add of a constant [N] right after it when that Add is its only reader: one Dense.
        private void MatMul(OnnxNode n)
        {
            var w = Const(n, 1);
            OnnxNode? add = g.Nodes.FirstOrDefault(a => a.OpType == "Add" && a.Inputs.Contains(n.Outputs[0]));
            OnnxTensor? bias = null;
            if (add is not null && Consumers(n.Outputs[0]) == 1)
            {
                string other = add.Inputs[0] == n.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
                if (!_consts.ContainsKey(other) && g.Nodes.FirstOrDefault(c => c.OpType == "Constant" && c.Outputs.Contains(other)) is { } constant && !_done.Contains(constant))
                {
                    Map(constant); // the bias's Constant node comes after the MatMul in the file
                }

                bias = _consts.GetValueOrDefault(other);
            }

            if (w.Dims.Length != 2)
            {
                throw Fail(n, $"multiplies by {w.ShapeText}; the importer maps a product with a constant matrix [K, N]");
            }

            var dense = DenseFrom(n, In(n, 0), w.AsFloats(), (int)w.Dims[0], (int)w.Dims[1], bias?.AsFloats(), out string note);
            if (bias is not null)
            {
                _done.Add(add!);
                _values[add!.Outputs[0]] = _values[n.Outputs[0]];
                note += $"; the bias from {add.Label}";
            }

            Row(n, dense, note);
        }

        private void Gemm(OnnxNode n)
        {
            if (Attr(n, "transA", 0) != 0)
            {
                throw Fail(n, "has transA 1; the importer maps Gemm on [N, K] activations");
            }

            var w = Const(n, 1);
            if (w.Dims.Length != 2)
            {
                throw Fail(n, $"has weights {w.ShapeText}; Gemm needs a matrix");
            }

            bool transB = Attr(n, "transB", 0) != 0;
            int k = (int)w.Dims[transB ? 1 : 0], units = (int)w.Dims[transB ? 0 : 1];
            float alpha = AttrF(n, "alpha", 1f), beta = AttrF(n, "beta", 1f);
            float[] wv = w.AsFloats();
            var kn = new float[wv.Length];
            for (int i = 0; i < k; i++)
            {
                for (int j = 0; j < units; j++)
                {
                    kn[(i * units) + j] = alpha * (transB ? wv[(j * k) + i] : wv[(i * units) + j]);
                }
            }

            float[]? bias = OptionalConst(n, 2)?.AsFloats();
            if (bias is not null)
            {
                bias = bias.Length == 1 ? Enumerable.Repeat(bias[0], units).ToArray() : bias;
                bias = Array.ConvertAll(bias, v => beta * v);
            }

            var dense = DenseFrom(n, In(n, 0), kn, k, units, bias, out string note);
            Row(n, dense, string.Join("; ", new[] { transB ? "weights transposed" : "", note }.Where(t => t.Length > 0)));
        }

        // A Dense of kernel [K, N]; after a flattened feature map, rows reordered from ONNX's (c, h, w) to (h, w, c).
        private Dense DenseFrom(OnnxNode n, Value x, float[] kn, int k, int units, float[]? bias, out string note)
        {
            if (x.Layout == Layout.Image)
            {
                throw Fail(n, $"multiplies a feature map {x.T.ShapeText}; flatten it first");
            }

            if (x.T.SampleShape[0] != k)
            {
                throw Fail(n, $"multiplies {x.T.ShapeText} by weights of {k} rows");
            }

            if (bias is not null && bias.Length != units)
            {
                throw Fail(n, $"has a bias of {bias.Length} values for {units} units");
            }

            note = "";
            if (x.Chw is var (c, h, w))
            {
                var reordered = new float[kn.Length];
                for (int ci = 0; ci < c; ci++)
                {
                    for (int yi = 0; yi < h; yi++)
                    {
                        for (int xi = 0; xi < w; xi++)
                        {
                            int onnxRow = (((ci * h) + yi) * w) + xi, ourRow = (((yi * w) + xi) * c) + ci;
                            Array.Copy(kn, (long)onnxRow * units, reordered, (long)ourRow * units, units);
                        }
                    }
                }

                kn = reordered;
                note = $"rows reordered from the flattened map's (C, H, W) = ({c}, {h}, {w}) to NHWC's (H, W, C)";
            }

            var dense = new Dense(units, useBias: bias is not null, name: LayerName(n));
            var y = dense.Apply(x.T);
            dense.Kernel!.Assign(kn);
            if (bias is not null)
            {
                dense.Bias!.Assign(bias);
            }

            Set(n, new Value(y, Layout.Vector));
            return dense;
        }

        private void Pool(OnnxNode n)
        {
            var x = Image(n, In(n, 0));
            bool ceil = Attr(n, "ceil_mode", 0) != 0;
            if (ceil && n.OpType != "MaxPool")
            {
                throw Fail(n, "has ceil_mode 1; the importer maps it for max pooling only (an average's last partial window divides by what it covers): re-export with ceil_mode=False");
            }

            if (Ints(n, "dilations") is { } dil && dil.Any(d => d != 1))
            {
                throw Fail(n, $"has dilations [{string.Join(", ", dil)}]");
            }

            var kernel = Ints(n, "kernel_shape") ?? throw Fail(n, "has no kernel_shape");
            if (kernel.Length != 2)
            {
                throw Fail(n, $"pools over {kernel.Length} axes; the importer maps 2-D pooling");
            }

            int kh = (int)kernel[0], kw = (int)kernel[1];
            var (sh, sw) = Strides(n);
            bool max = n.OpType == "MaxPool";
            bool countPad = Attr(n, "count_include_pad", 0) != 0;
            var (padding, pad) = Padding(n, x, kh, kw, sh, sw, countIncludePad: max || countPad);
            var floorPad = pad;
            if (ceil)
            {
                (padding, pad) = CeilPads(n, x, kh, kw, sh, sw, padding, pad);
            }

            if (pad is not null && max && !x.NonNegative)
            {
                throw Fail(n, $"pads [{pad.Value.Top}, {pad.Value.Left}, {pad.Value.Bottom}, {pad.Value.Right}] around a value that can be negative; the importer pads a max pooling with zeros only after a ReLU");
            }

            if (pad is not null && !max && !countPad)
            {
                throw Fail(n, "pads without counting the padding (count_include_pad 0) in a way 'same' does not; re-export with count_include_pad=True or padding that 'same' gives");
            }

            var input = ZeroPad(n, x, pad, "_pad");
            Layer layer = max
                ? new MaxPool2D([kh, kw], [sh, sw], padding, LayerName(n))
                : new AveragePooling2D([kh, kw], [sh, sw], padding, LayerName(n));
            Set(n, new Value(layer.Apply(input.T), Layout.Image, NonNegative: x.NonNegative));
            Row(n, layer, $"{kh}×{kw} stride {sh}×{sw}, padding {PadNote(padding, pad)}{(ceil && pad != floorPad ? " (ceil_mode: the last partial window as end padding)" : ceil ? " (ceil_mode: no partial window here)" : "")}");
        }

        private void GlobalAveragePool(OnnxNode n)
        {
            var x = Image(n, In(n, 0));
            var gap = new GlobalAveragePooling2D(LayerName(n));
            Set(n, new Value(gap.Apply(x.T), Layout.Pooled, NonNegative: x.NonNegative));
            Row(n, gap, "[N, C, 1, 1] held as [N, C]");
        }

        // The NHWC ↔ NCHW transposes a converted model has at its edges: nothing to do, the layout is noted.
        private void Transpose(OnnxNode n)
        {
            var x = In(n, 0);
            long[] perm = Ints(n, "perm") ?? [];
            if (x.Layout == Layout.Nhwc && perm is [0, 3, 1, 2])
            {
                Alias(n, x with { Layout = Layout.Image }, "NHWC → NCHW: the layout EdgeNet holds already");
                return;
            }

            if (x.Layout == Layout.Image && perm is [0, 2, 3, 1])
            {
                Alias(n, x with { Layout = Layout.Nhwc }, "NCHW → NHWC: the layout EdgeNet holds already");
                return;
            }

            if (x.Layout == Layout.Grouped && perm is [0, 2, 1, 3, 4])
            {
                Alias(n, x with { Layout = Layout.Shuffled }, $"[N, {x.Groups}, C/{x.Groups}, H, W] → [N, C/{x.Groups}, {x.Groups}, H, W]: the channel shuffle's interleave");
                return;
            }

            if (x.Layout is Layout.Sequence or Layout.TimeMajor && perm is [1, 0, 2])
            {
                Alias(n, x with { Layout = x.Layout == Layout.Sequence ? Layout.TimeMajor : Layout.Sequence }, "batch-first ↔ time-first: the LSTM reads EdgeNet's [N, T, F]");
                return;
            }

            throw Fail(n, $"transposes a {x.Layout} value {x.T.ShapeText} with perm [{string.Join(", ", perm)}]; the importer maps the NHWC ↔ NCHW transposes at a converted model's edges");
        }

        // ReduceMean over H and W: torch's x.mean([2, 3]) (MNASNet, ShuffleNetV2).
        private void ReduceMean(OnnxNode n)
        {
            var x = Image(n, In(n, 0));
            long[] axes = OptionalConst(n, 1)?.AsInts() ?? Ints(n, "axes") ?? [];
            var set = axes.Select(a => a < 0 ? a + 4 : a).Order().ToArray();
            if (set is not [2, 3])
            {
                throw Fail(n, $"averages over axes [{string.Join(", ", axes)}]; the importer maps the mean over H and W (axes [2, 3])");
            }

            bool keep = Attr(n, "keepdims", 1) != 0;
            var gap = new GlobalAveragePooling2D(LayerName(n));
            Set(n, new Value(gap.Apply(x.T), keep ? Layout.Pooled : Layout.Vector, NonNegative: x.NonNegative));
            Row(n, gap, keep ? "[N, C, 1, 1] held as [N, C]" : "[N, C]");
        }

        private void Flatten(OnnxNode n, long axis, string what)
        {
            var x = In(n, 0);
            if (axis != 1)
            {
                throw Fail(n, $"flattens from axis {axis}; the importer maps flattening to [N, features]");
            }

            if (x.Layout is Layout.Pooled or Layout.Vector or Layout.LastState)
            {
                Alias(n, x with { Layout = Layout.Vector }, x.Layout == Layout.Pooled ? "[N, C, 1, 1] is already [N, C]" : x.Layout == Layout.LastState ? "an LSTM's last state [1, N, H] is [N, H]" : "already flat");
                return;
            }

            if (x.Layout == Layout.Nhwc)
            {
                var f = new Flatten(LayerName(n));
                Set(n, new Value(f.Apply(x.T), Layout.Vector, null, x.NonNegative));
                Row(n, f, $"{what}: ONNX's order is NHWC's here");
                return;
            }

            int h = x.T.SampleShape[0], w = x.T.SampleShape[1], c = x.T.SampleShape[2];
            var flatten = new Flatten(LayerName(n));
            var y = flatten.Apply(x.T);
            bool reorder = c > 1 && h * w > 1;
            Set(n, new Value(y, Layout.Vector, reorder ? (c, h, w) : null, x.NonNegative));
            Row(n, flatten, reorder ? $"{what}: ONNX's (C, H, W) order, restored in the next Dense's rows" : what);
        }

        private void Reshape(OnnxNode n)
        {
            var x = In(n, 0);
            long[] shape = Const(n, 1).AsInts().Select(d => d == BatchDim ? 0 : d).ToArray(); // the folded batch: "copy it"
            long total = x.T.SampleShape.Size;
            if (ChannelShuffleStep(n, x, shape))
            {
                return;
            }

            if (shape is [_, long f] && (f == -1 || f == total) && shape[0] is -1 or 0 or 1 || (shape is [_, long f2] && f2 == total))
            {
                Flatten(n, 1, $"Reshape to [{string.Join(", ", shape)}]");
                return;
            }

            // A gate [N, C] as a map of one pixel: [N, C, 1, 1] (torch's view) is the pooled layout; [N, 1, 1, C] (an NHWC
            // model's, EdgeNet's own export) a Keras Reshape, made NCHW by the Transpose after it.
            if (x.Layout is Layout.Vector or Layout.Pooled && x.Chw is null && shape is [_, long c1, 1, 1] && c1 == total)
            {
                Alias(n, x with { Layout = Layout.Pooled }, $"[N, {total}] as [N, {total}, 1, 1]: held as [N, {total}]");
                return;
            }

            if (x.Layout is Layout.Vector or Layout.Pooled && x.Chw is null && shape is [_, 1, 1, long c2] && c2 == total)
            {
                var gate = new Reshape([1, 1, (int)total], LayerName(n));
                Set(n, x with { T = gate.Apply(x.T), Layout = Layout.Nhwc });
                Row(n, gate, $"[N, {total}] to NHWC [N, 1, 1, {total}]");
                return;
            }

            throw Fail(n, $"reshapes {x.T.ShapeText} to [{string.Join(", ", shape)}]; the importer maps a reshape to [N, features]");
        }
    }
}
