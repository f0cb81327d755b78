using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Formats.Schemes;
using EdgeNet.Runtime.Training.Ops;

namespace EdgeNet.Runtime.Training;

/// <summary>Saving: the fine-tuned blob in float (frozen tensors keep their bytes) or re-quantized to int8.</summary>
public sealed partial class TrainingSession
{
    /// <summary>
    /// Writes the weights as a new blob at <paramref name="path"/> (atomically: an interrupted write leaves what
    /// was there) with the base blob's graph and metadata and the fine-tune's provenance. Frozen tensors keep
    /// their bytes; trained ones are written as f32.
    /// </summary>
    public void Save(string path, string data) => Writer(data).Write(path);

    /// <summary>The new blob's writer: the base blob with the trained tensors replaced and the provenance set.</summary>
    internal BlobWriter Writer(string data)
    {
        var w = BlobWriter.CopyOf(_blob);
        foreach (var p in _trainable)
        {
            w.ReplaceF32(p.Name, _arena.Param(p));
        }

        SetProvenance(w, data);
        var trained = new HashSet<int>();
        foreach (var p in _trainable)
        {
            trained.Add(p.TensorIndex);
        }

        bool allF32 = true;
        for (int t = 0; t < _blob.Tensors.Count; t++)
        {
            allF32 &= trained.Contains(t) || _blob.Tensors[t].Type == ElementType.F32;
        }

        if (allF32)
        {
            w.SetMetadata(MetadataKeys.QuantizationScheme, "f32");
        }

        return w;
    }

    /// <summary>The session's graph with its current weights, as Formats' scheme builder takes it.</summary>
    internal FloatGraph ToFloatGraph()
    {
        var graph = _blob.Graph!;
        var f = new FloatGraph { Input = graph.Inputs[0], Output = graph.Outputs[0] };
        foreach (var v in graph.Values)
        {
            f.Values.Add((v.Name, Shapes.Copy(v.Dims)));
        }

        var weightOf = new Dictionary<int, int>();
        foreach (var p in Params)
        {
            weightOf[p.TensorIndex] = f.Weights.Count;
            f.Weights.Add(new FloatWeight(p.Name, Array.ConvertAll(Shapes.Copy(p.Dims), d => (int)d), _arena.Param(p).ToArray()));
        }

        // The frozen body's operators as the blob has them, their weights read as floats.
        for (int i = 0; i < _first; i++)
        {
            var op = graph.Operators[i];
            var weights = op.WeightInputs();
            var wIdx = new int[weights.Length];
            for (int k = 0; k < weights.Length; k++)
            {
                var t = _blob.Tensors[weights[k].Index];
                if (!weightOf.TryGetValue(weights[k].Index, out wIdx[k]))
                {
                    wIdx[k] = weightOf[weights[k].Index] = f.Weights.Count;
                    f.Weights.Add(new FloatWeight(t.Name, Array.ConvertAll(Shapes.Copy(t.Dims), d => (int)d), _blob.ReadAsFloat(weights[k].Index)));
                }
            }

            var xs = op.ValueInputs();
            f.Nodes.Add(new FloatNode(OperatorSchemas.Of(op.Opcode), Array.ConvertAll(xs, r => r.Index), wIdx, op.Outputs[0], op.Attributes,
                weights.Length > 0 ? LayerOf(_blob.Tensors[weights[0].Index].Name) : graph.Values[op.Outputs[0]].Name));
        }

        for (int i = 0; i < _ops.Length; i++)
        {
            var op = graph.Operators[_first + i];
            int[] weights = Array.ConvertAll(op.WeightInputs(), r => weightOf[r.Index]);
            f.Nodes.Add(new FloatNode(OperatorSchemas.Of(op.Opcode), [_ops[i].X.Index], weights, op.Outputs[0], op.Attributes, _ops[i].Layer));
        }

        return f;
    }

    /// <summary>
    /// The weights re-quantized to int8 (per-channel weights, activation ranges from <see cref="Observe"/> over
    /// <paramref name="samples"/> samples) as a new blob's writer, with the base blob's metadata and the fine-tune's
    /// provenance: the board acts in int8 after learning in float.
    /// </summary>
    internal BlobWriter Int8Writer(string data, float[] min, float[] max, int samples, bool floatInputLayer = false, bool floatOutputLayer = false)
    {
        var w = new BlobWriter(_blob.Header.Alignment);
        foreach (var (k, v) in _blob.Metadata)
        {
            if (!k.StartsWith("quantization.", StringComparison.Ordinal))
            {
                w.SetMetadata(k, v);
            }
        }

        w.SetMetadata(MetadataKeys.QuantizationVersion, EnbValue.U32(MetadataKeys.QuantizationSchemeVersion));
        w.SetMetadata(MetadataKeys.QuantizationScheme, "int8");
        w.SetMetadata(MetadataKeys.QuantizationCalibration, $"minmax over {samples} samples, on the board after fine-tuning");
        if (floatInputLayer)
        {
            w.SetMetadata(MetadataKeys.FloatInputLayer, EnbValue.Bool(true));
        }

        if (floatOutputLayer)
        {
            w.SetMetadata(MetadataKeys.FloatOutputLayer, EnbValue.Bool(true));
        }

        SetProvenance(w, data);
        SchemeBuilder.Build(ToFloatGraph(), BlobScheme.Int8, min, max, w, floatInputLayer, floatOutputLayer);
        return w;
    }

    private void SetProvenance(BlobWriter w, string data)
    {
        w.SetMetadata(MetadataKeys.FineTuneBase, $"{Path.GetFileName(_blob.FileName)} xxh3:{BaseHash()}");
        w.SetMetadata(MetadataKeys.FineTuneSteps, EnbValue.I64(Steps));
        w.SetMetadata(MetadataKeys.FineTuneData, data);
        w.SetMetadata(MetadataKeys.FineTuneLoss, EnbValue.F32(LastLoss));
        w.SetMetadata(MetadataKeys.FineTuneLayers, string.Join(",", TrainableLayers));
        w.SetMetadata(MetadataKeys.FineTuneOptimizer, Options.OptimizerText);
    }

    private string BaseHash()
    {
        var h = new System.IO.Hashing.XxHash3();
        using (var s = File.OpenRead(_blob.FileName))
        {
            h.Append(s);
        }

        return Convert.ToHexStringLower(h.GetCurrentHash());
    }
}
