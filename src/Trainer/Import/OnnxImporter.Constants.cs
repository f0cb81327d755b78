namespace EdgeNet.Trainer.Import;

public static partial class OnnxImporter
{
    /// <summary>The symbolic batch size inside a folded shape (Shape of an activation, its first entry).</summary>
    private const long BatchDim = long.MinValue / 4;

    /// <summary>Operators evaluated at import when all their inputs are constants (shape arithmetic: torch's x.view(x.size(0), -1)).</summary>
    private static readonly HashSet<string> Foldable = ["ConstantOfShape", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Add", "Sub", "Mul", "Div"];

    /// <summary>Operators mapped only when their inputs are constants (folded); on activations they are not mapped yet.</summary>
    private static readonly HashSet<string> FoldOnly = ["Gather", "Unsqueeze", "Squeeze", "Cast", "Sub", "Div"];

    /// <summary>
    /// Which values are constants before any layer is built: initializers, Constant nodes, the Shape of anything (the
    /// shapes are static but the batch), and what foldable operators compute from those. Returns the nodes that need a
    /// non-constant input where only constants are mapped, and transposes other than a layout change at the edges.
    /// </summary>
    private static List<(OnnxNode Node, string What)> UnfoldableNodes(OnnxGraph g)
    {
        var constant = new HashSet<string>(g.Initializers.Keys) { "" };
        var states = new HashSet<string>(g.Nodes.Where(n => n.OpType == "LSTM").SelectMany(n => n.Outputs.Skip(1))); // Y_h, Y_c
        var bad = new List<(OnnxNode, string)>();
        foreach (var n in g.Nodes)
        {
            if (n.OpType is "Gather" or "Squeeze" && n.Inputs.Count > 0 && states.Contains(n.Inputs[0]))
            {
                continue; // an LSTM's last state, h[-1]: mapped
            }

            bool allConst = n.Inputs.All(constant.Contains);
            if (n.OpType == "Constant" || n.OpType == "Shape" || (Foldable.Contains(n.OpType) && allConst))
            {
                constant.UnionWith(n.Outputs);
            }
            else if (n.OpType is "Sub" or "Div" && n.Inputs.Count == 2 && constant.Contains(n.Inputs[1]) != constant.Contains(n.Inputs[0]))
            {
                continue; // an activation and a constant: a per-channel scale and shift (mapped, or refused with its shapes)
            }
            else if (FoldOnly.Contains(n.OpType))
            {
                bad.Add((n, $"{n.OpType} on activations"));
            }
            else if (n.OpType == "Transpose" && n.Attributes.TryGetValue("perm", out var perm)
                && !(perm.Ints.SequenceEqual([0L, 3, 1, 2]) || perm.Ints.SequenceEqual([0L, 2, 3, 1]) || perm.Ints.SequenceEqual([1L, 0, 2]) || perm.Ints.SequenceEqual([0L, 2, 1, 3, 4])))
            {
                bad.Add((n, $"Transpose with perm [{string.Join(", ", perm.Ints)}]"));
            }
        }

        return bad;
    }

    private sealed partial class Builder
    {
        /// <summary>Evaluates a foldable node on constants into <c>_consts</c>; false when an input is an activation.</summary>
        private bool TryFold(OnnxNode n)
        {
            if (n.OpType == "Shape")
            {
                var v = In(n, 0);
                long[] shape = v.Layout switch
                {
                    Layout.Image => [BatchDim, v.T.SampleShape[2], v.T.SampleShape[0], v.T.SampleShape[1]],
                    Layout.Pooled => [BatchDim, v.T.SampleShape[0], 1, 1],
                    Layout.Nhwc => [BatchDim, v.T.SampleShape[0], v.T.SampleShape[1], v.T.SampleShape[2]],
                    Layout.TimeMajor => [v.T.SampleShape[0], BatchDim, v.T.SampleShape[1]],
                    Layout.LastState => [1, BatchDim, v.T.SampleShape[0]],
                    _ => [BatchDim, .. v.T.SampleShape.Dims.Select(d => (long)d)],
                };
                Fold(n, Ints([shape.Length], shape), $"the shape of '{n.Inputs[0]}'");
                return true;
            }

            if (!n.Inputs.All(i => i.Length == 0 || _consts.ContainsKey(i)))
            {
                return false;
            }

            var x = Const(n, 0);
            switch (n.OpType)
            {
                case "ConstantOfShape":
                    {
                        long[] dims = x.AsInts();
                        float fill = n.Attributes.TryGetValue("value", out var v) && v.T is { } t ? t.AsFloats()[0] : 0f;
                        if (dims.Contains(BatchDim))
                        {
                            if (fill != 0)
                            {
                                throw Fail(n, $"fills a batch-sized tensor with {Num(fill)}; the importer folds zero states");
                            }

                            _zeros.Add(n.Outputs[0]);
                            _rows.Add(new OnnxImportRow(n.Label, n.OpType, "", "folded: zeros over the batch (an initial state)"));
                            return true;
                        }

                        long count = dims.Aggregate(1L, (a, d) => a * d);
                        Fold(n, Floats(dims, Enumerable.Repeat(fill, (int)count).ToArray()), $"{count} values of {Num(fill)}");
                        return true;
                    }

                case "Cast":
                    Fold(n, x, "cast");
                    return true;
                case "Gather" or "Concat" or "Slice" when Enumerable.Range(0, n.Inputs.Count).Any(i => OptionalConst(n, i)?.Floats is not null):
                    throw Fail(n, "works on float constants; the importer folds integer shape arithmetic (export with do_constant_folding=True)");
                case "Gather":
                    {
                        long[] data = x.AsInts();
                        var idx = Const(n, 1);
                        if (x.Dims.Length != 1 || Attr(n, "axis", 0) != 0)
                        {
                            throw Fail(n, $"gathers from a constant {x.ShapeText} along axis {Attr(n, "axis", 0)}; the importer folds gathers from 1-D shapes");
                        }

                        long[] picked = idx.AsInts().Select(i => data[i < 0 ? data.Length + i : i]).ToArray();
                        Fold(n, Ints(idx.Dims, picked), "gathered");
                        return true;
                    }

                case "Unsqueeze":
                case "Squeeze":
                    {
                        long[] axes = OptionalConst(n, 1)?.AsInts() ?? Ints(n, "axes") ?? [];
                        var dims = x.Dims.ToList();
                        if (n.OpType == "Unsqueeze")
                        {
                            int rank = dims.Count + axes.Length;
                            foreach (long a in axes.Select(a => a < 0 ? a + rank : a).Order())
                            {
                                dims.Insert((int)a, 1);
                            }
                        }
                        else
                        {
                            dims = axes.Length == 0 ? dims.Where(d => d != 1).ToList() : dims.Where((d, i) => !axes.Select(a => a < 0 ? a + x.Dims.Length : a).Contains(i)).ToList();
                        }

                        Fold(n, x.Floats is { } f ? Floats([.. dims], f) : Ints([.. dims], x.AsInts()), n.OpType.ToLowerInvariant());
                        return true;
                    }

                case "Concat":
                    {
                        var parts = Enumerable.Range(0, n.Inputs.Count).Select(i => Const(n, i)).ToList();
                        if (parts.Any(p => p.Dims.Length > 1))
                        {
                            throw Fail(n, "concatenates constants of more than one axis; the importer folds 1-D shape arithmetic");
                        }

                        long[] all = parts.SelectMany(p => p.AsInts()).ToArray();
                        Fold(n, Ints([all.Length], all), "concatenated");
                        return true;
                    }

                case "Slice":
                    {
                        long[] data = x.AsInts();
                        if (x.Dims.Length != 1)
                        {
                            throw Fail(n, $"slices a constant {x.ShapeText}; the importer folds 1-D shape arithmetic");
                        }

                        long start = Const(n, 1).AsInts()[0], end = Const(n, 2).AsInts()[0];
                        long step = OptionalConst(n, 4)?.AsInts()[0] ?? 1;
                        int len = data.Length;
                        int s0 = (int)Math.Clamp(start < 0 ? start + len : start, 0, len), e0 = (int)Math.Clamp(end < 0 ? end + len : end, 0, len);
                        if (step != 1)
                        {
                            throw Fail(n, $"slices with step {step}; the importer folds unit steps");
                        }

                        Fold(n, Ints([Math.Max(0, e0 - s0)], data[s0..Math.Max(s0, e0)]), "sliced");
                        return true;
                    }

                default:
                    {
                        // Add, Sub, Mul, Div of integer constants (a scalar broadcast): channel counts such as C / 2.
                        if (x.Floats is not null || Const(n, 1).Floats is not null)
                        {
                            throw Fail(n, "computes with float constants; the importer folds integer shape arithmetic (export with do_constant_folding=True)");
                        }

                        long[] a = x.AsInts(), b = Const(n, 1).AsInts();
                        if (a.Concat(b).Contains(BatchDim))
                        {
                            throw Fail(n, "computes with the batch size; the importer folds shapes whose arithmetic does not involve the batch");
                        }

                        int len = Math.Max(a.Length, b.Length);
                        long[] r = new long[len];
                        for (int i = 0; i < len; i++)
                        {
                            long p = a[a.Length == 1 ? 0 : i], q = b[b.Length == 1 ? 0 : i];
                            r[i] = n.OpType switch
                            {
                                "Add" => p + q,
                                "Sub" => p - q,
                                "Mul" => p * q,
                                _ => q == 0 ? throw Fail(n, "divides by zero") : p / q, // ONNX's integer Div truncates toward zero
                            };
                        }

                        Fold(n, Ints(a.Length >= b.Length ? x.Dims : Const(n, 1).Dims, r), n.OpType.ToLowerInvariant());
                        return true;
                    }
            }
        }

        private void Fold(OnnxNode n, OnnxTensor value, string what)
        {
            value.Name = n.Outputs[0];
            _consts[n.Outputs[0]] = value;
            _rows.Add(new OnnxImportRow(n.Label, n.OpType, "", $"folded: {what} = [{string.Join(", ", (value.Ints ?? []).Select(v => v == BatchDim ? "N" : v.ToString(System.Globalization.CultureInfo.InvariantCulture)).Take(8))}]"));
        }

        private static OnnxTensor Ints(long[] dims, long[] values) => new() { Dims = dims, DataType = OnnxDataType.Int64, Ints = values };

        private static OnnxTensor Floats(long[] dims, float[] values) => new() { Dims = dims, DataType = OnnxDataType.Float, Floats = values };
    }
}
