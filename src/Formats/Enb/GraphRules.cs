namespace EdgeNet.Formats.Enb;

/// <summary>Where a graph problem is: which kind of record, its index, the field and the problem.</summary>
internal readonly record struct GraphProblem(bool InOperator, int Index, string Field, string Problem)
{
    public override string ToString() => $"{Field}: {Problem}";
}

/// <summary>Structural rules of the graph section, shared by the writer and the reader.</summary>
internal static class GraphRules
{
    public static GraphProblem? Check(GraphDef g, int tensorCount, Func<int, string> tensorName, bool checkContract = true)
    {
        int valueCount = g.Values.Count;
        var defined = new bool[valueCount];
        for (int i = 0; i < valueCount; i++)
        {
            var v = g.Values[i];
            string f = $"graph.values[{i}]";
            if (BlobRules.CheckName(v.Name) is { } np)
            {
                return new(false, i, f + ".name", np);
            }

            if (!ElementTypeTraits.IsKnown((byte)v.Type))
            {
                return new(false, i, f + ".type", $"unknown element type id {(byte)v.Type}");
            }

            if (v.Dims.Count is < 1 or > EnbConstants.MaxRank)
            {
                return new(false, i, f + ".rank", $"value '{v.Name}' has rank {v.Dims.Count}; must be 1..{EnbConstants.MaxRank}");
            }

            for (int d = 0; d < v.Dims.Count; d++)
            {
                if (v.Dims[d] < 1 && !(d == 0 && v.Dims[d] == -1))
                {
                    return new(false, i, $"{f}.dims[{d}]", $"value '{v.Name}' dimension {v.Dims[d]} must be >= 1 (only dims[0] may be -1 for the batch)");
                }
            }

            if (v.Quantization.Validate(v.Type, Shapes.BatchAsOne(v.Dims)) is { } qp)
            {
                return new(false, i, f + ".quantization", qp);
            }
        }

        if (CheckIndices(g.Inputs, valueCount, "graph.inputs") is { } inP)
        {
            return inP;
        }

        if (CheckIndices(g.Outputs, valueCount, "graph.outputs") is { } outP)
        {
            return outP;
        }

        foreach (int i in g.Inputs)
        {
            defined[i] = true;
        }

        for (int o = 0; o < g.Operators.Count; o++)
        {
            var op = g.Operators[o];
            string f = $"graph.operators[{o}]";
            if (!BlobRules.IsKnownOpcode((ushort)op.Opcode))
            {
                return new(true, o, f + ".opcode", $"unknown opcode {(ushort)op.Opcode}");
            }

            if (op.Inputs.Count > EnbConstants.MaxOperatorRefs || op.Outputs.Count is < 1 or > EnbConstants.MaxOperatorRefs)
            {
                return new(true, o, f, $"{op.Opcode} has {op.Inputs.Count} inputs and {op.Outputs.Count} outputs; needs 0..255 inputs and 1..255 outputs");
            }

            for (int k = 0; k < op.Inputs.Count; k++)
            {
                var r = op.Inputs[k];
                if (r.IsWeight)
                {
                    if (r.Index < 0 || r.Index >= tensorCount)
                    {
                        return new(true, o, $"{f}.inputs[{k}]", $"{op.Opcode} reads weight tensor {r.Index} but the tensor table has {tensorCount}");
                    }
                }
                else if (r.Index < 0 || r.Index >= valueCount)
                {
                    return new(true, o, $"{f}.inputs[{k}]", $"{op.Opcode} reads value {r.Index} but the graph has {valueCount}");
                }
                else if (!defined[r.Index])
                {
                    return new(true, o, $"{f}.inputs[{k}]", $"{op.Opcode} reads value '{g.Values[r.Index].Name}' before any operator produces it (operators must be in execution order)");
                }
            }

            for (int k = 0; k < op.Outputs.Count; k++)
            {
                int v = op.Outputs[k];
                if (v < 0 || v >= valueCount)
                {
                    return new(true, o, $"{f}.outputs[{k}]", $"{op.Opcode} writes value {v} but the graph has {valueCount}");
                }

                if (defined[v])
                {
                    return new(true, o, $"{f}.outputs[{k}]", $"value '{g.Values[v].Name}' is produced twice (or is a model input)");
                }

                defined[v] = true;
            }

            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, _) in op.Attributes)
            {
                if (BlobRules.CheckAttributeKey(key) is { } kp)
                {
                    return new(true, o, $"{f}.attributes", kp);
                }

                if (!keys.Add(key))
                {
                    return new(true, o, $"{f}.attributes", $"attribute '{key}' appears twice");
                }
            }

            if (checkContract && Contract.OperatorSchemas.Of(op.Opcode).Check(op) is { } sp)
            {
                return new(true, o, $"{f}.{sp.Field}", sp.Problem);
            }
        }

        for (int k = 0; k < g.Outputs.Count; k++)
        {
            if (!defined[g.Outputs[k]])
            {
                return new(false, g.Outputs[k], $"graph.outputs[{k}]", $"model output '{g.Values[g.Outputs[k]].Name}' is never produced");
            }
        }

        _ = tensorName;
        return null;
    }

    private static GraphProblem? CheckIndices(IReadOnlyList<int> list, int valueCount, string field)
    {
        var seen = new HashSet<int>();
        for (int k = 0; k < list.Count; k++)
        {
            if (list[k] < 0 || list[k] >= valueCount)
            {
                return new(false, -1, $"{field}[{k}]", $"value index {list[k]} is outside 0..{valueCount - 1}");
            }

            if (!seen.Add(list[k]))
            {
                return new(false, -1, $"{field}[{k}]", $"value index {list[k]} is listed twice");
            }
        }

        return null;
    }
}
