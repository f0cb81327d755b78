using EdgeNet.Formats.Contract;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Models;

/// <summary>
/// Saving and loading the float model as an .enb container (atomic write, hashed tensors):
/// weights as f32 tensors named by variable, the architecture of Sequential and functional models
/// as JSON in metadata "keras.config", and the optimizer's state so training can resume.
/// </summary>
public partial class Model
{
    private const string SlotPrefix = "optimizer/";

    /// <summary>Saves the weights only (model.save_weights).</summary>
    public void SaveWeights(string path) => Write(path, includeConfig: false, includeOptimizer: false);

    /// <summary>Saves weights, architecture (Sequential/functional) and optimizer state (model.save).</summary>
    public void Save(string path, bool includeOptimizer = true) => Write(path, includeConfig: true, includeOptimizer);

    private void Write(string path, bool includeConfig, bool includeOptimizer)
    {
        var vars = Variables;
        if (vars.Count == 0)
        {
            throw new InvalidOperationException($"model '{Name}' has no weights yet: call it on data (or Build it) before saving");
        }

        var w = new BlobWriter();
        w.SetMetadata(MetadataKeys.Architecture, "keras");
        w.SetMetadata(MetadataKeys.Name, Name);
        w.SetMetadata(MetadataKeys.CreatedBy, "EdgeNet.Trainer");
        w.SetMetadata(MetadataKeys.KerasClass, GetType().Name);
        foreach (var (k, v) in Metadata)
        {
            w.SetMetadata(k, v);
        }

        if (includeConfig && ToConfig() is { } config)
        {
            w.SetMetadata(MetadataKeys.KerasConfig, config.ToJsonString());
        }

        foreach (var v in vars)
        {
            w.AddF32(v.Name, v.Shape.AsSpan().ToArray().Select(d => (long)d).ToArray(), v.Numpy());
        }

        if (includeOptimizer && Optimizer is { } opt)
        {
            w.SetMetadata(MetadataKeys.OptimizerName, opt.Name);
            w.SetMetadata(MetadataKeys.OptimizerIterations, EnbValue.I64(opt.Iterations));
            w.SetMetadata(MetadataKeys.OptimizerLearningRate, EnbValue.F32(opt.LearningRate));
            if (Loss is not null)
            {
                w.SetMetadata(MetadataKeys.Loss, Loss.Name);
            }

            foreach (var v in vars.Where(opt.HasSlots))
            {
                var slots = opt.Slots(v);
                for (int i = 0; i < slots.Length; i++)
                {
                    var data = new float[v.Shape.Size];
                    v.Backend.Download(slots[i], data);
                    w.AddF32($"{SlotPrefix}{v.Name}/slot{i}", v.Shape.AsSpan().ToArray().Select(d => (long)d).ToArray(), data);
                }
            }
        }

        w.Write(path);
    }

    /// <summary>
    /// Loads weights saved by <see cref="SaveWeights"/> or <see cref="Save"/> into this (built) model:
    /// by name, or by position when the names differ (a new session numbers layers anew). Restores the
    /// optimizer state when the file has it and the model is compiled.
    /// </summary>
    public void LoadWeights(string path)
    {
        using var r = BlobReader.Open(path, new BlobReadOptions { VerifyTensorHashes = true });
        LoadFrom(r);
    }

    /// <summary>Extra key-values saved with the model (e.g. a char model's vocabulary) and read back by Load.</summary>
    public Dictionary<string, EnbValue> Metadata { get; } = new(StringComparer.Ordinal);

    private void LoadFrom(BlobReader r)
    {
        foreach (var (k, v) in r.Metadata.Where(kv => kv.Key.StartsWith("text.", StringComparison.Ordinal) || kv.Key.StartsWith("training.", StringComparison.Ordinal)
            || kv.Key.StartsWith("input.", StringComparison.Ordinal) || kv.Key == MetadataKeys.InputShape.Name || kv.Key == MetadataKeys.ClassNames.Name))
        {
            Metadata[k] = v;
        }

        var vars = Variables;
        if (vars.Count == 0)
        {
            throw new InvalidOperationException($"model '{Name}' has no weights yet: call it once on a batch (or Build it) before LoadWeights so the shapes are known");
        }

        var weightIdx = Enumerable.Range(0, r.Tensors.Count).Where(i => !r.Tensors[i].Name.StartsWith(SlotPrefix, StringComparison.Ordinal)).ToList();
        if (weightIdx.Count != vars.Count)
        {
            throw new InvalidDataException($"{r.FileName}: holds {weightIdx.Count} weights but model '{Name}' has {vars.Count}; it was saved from a different architecture");
        }

        bool byName = vars.All(v => r.FindTensor(v.Name) >= 0);
        for (int i = 0; i < vars.Count; i++)
        {
            var v = vars[i];
            int t = byName ? r.FindTensor(v.Name) : weightIdx[i];
            var info = r.Tensors[t];
            if (info.ElementCount != v.Shape.Size || !info.Dims.Select(d => (int)d).SequenceEqual(v.Shape.AsSpan().ToArray()))
            {
                throw new InvalidDataException($"{r.FileName}: weight '{info.Name}' has shape {info.ShapeText} but variable '{v.Name}' is {v.Shape}");
            }

            v.Assign(r.ReadAsFloat(t));
        }

        if (Optimizer is { } opt && r.GetMetadata(MetadataKeys.OptimizerIterations) is { } it)
        {
            opt.Iterations = it.AsInt64();
            for (int i = 0; i < vars.Count; i++)
            {
                string savedName = byName ? vars[i].Name : r.Tensors[weightIdx[i]].Name;
                for (int s = 0; ; s++)
                {
                    int t = r.FindTensor($"{SlotPrefix}{savedName}/slot{s}");
                    if (t < 0)
                    {
                        break;
                    }

                    vars[i].Backend.Upload(r.ReadAsFloat(t), opt.Slots(vars[i])[s]);
                }
            }
        }
    }

    /// <summary>Loads a Sequential or functional model saved with <see cref="Save"/>; compile it again to train.</summary>
    public static Model Load(string path, Optimizer? optimizer = null)
    {
        using var r = BlobReader.Open(path, new BlobReadOptions { VerifyTensorHashes = true });
        Model model;
        if (r.GetMetadata(MetadataKeys.KerasConfig) is { } cfg)
        {
            model = FromConfig(JsonNode.Parse(cfg.AsString())!.AsObject());
        }
        else if ((r.GetMetadata(MetadataKeys.KerasClass)?.AsString() ?? ModelRegistry.ClassOfName(r.GetMetadata(MetadataKeys.Name)?.AsString())) is { } cls
            && ModelRegistry.TryCreate(cls, r) is { } registered)
        {
            model = registered;
        }
        else
        {
            throw new InvalidDataException($"{path}: has no architecture (metadata '{MetadataKeys.KerasConfig.Name}'): it holds weights only; construct the model in code and call LoadWeights, or register its class with ModelRegistry.Register");
        }

        if (optimizer is not null && r.GetMetadata(MetadataKeys.Loss) is { } loss)
        {
            model.Compile(optimizer, Losses.Loss.Get(loss.AsString()));
        }

        model.LoadFrom(r);
        return model;
    }

    /// <summary>JSON architecture of a Sequential or functional model; null for subclassed models.</summary>
    public JsonObject? ToConfig()
    {
        if (this is Sequential seq)
        {
            var first = seq.BuildInputShape;
            return new JsonObject
            {
                ["class"] = "Sequential",
                ["name"] = Name,
                ["input_shape"] = first is null ? null : new JsonArray(first.AsSpan()[1..].ToArray().Select(d => (JsonNode)d).ToArray()),
                ["layers"] = new JsonArray(seq.Layers.Select(LayerConfig).ToArray()),
            };
        }

        if (!IsFunctional)
        {
            return null;
        }

        var nodes = new JsonArray();
        foreach (var n in _order!.Where(n => n.Layer is not null))
        {
            var c = LayerConfig(n.Layer!);
            c["inbound"] = new JsonArray(n.Parents.Select(p => (JsonNode)p.Name).ToArray());
            c["output"] = n.Name;
            nodes.Add(c);
        }

        return new JsonObject
        {
            ["class"] = "Functional",
            ["name"] = Name,
            ["inputs"] = new JsonArray(_inputs!.Select(i => (JsonNode)new JsonObject
            {
                ["name"] = i.Name,
                ["shape"] = new JsonArray(i.SampleShape.AsSpan().ToArray().Select(d => (JsonNode)d).ToArray()),
            }).ToArray()),
            ["layers"] = nodes,
            ["outputs"] = new JsonArray(_outputs!.Select(o => (JsonNode)o.Name).ToArray()),
        };
    }

    private static JsonObject LayerConfig(Layer l)
    {
        if (!LayerRegistry.Has(l.GetType().Name))
        {
            throw new NotSupportedException($"layer '{l.Name}' ({l.GetType().Name}) cannot be saved with its architecture; use SaveWeights and rebuild the model in code");
        }

        return new JsonObject { ["class"] = l.GetType().Name, ["config"] = l.GetConfig() };
    }

    private static Model FromConfig(JsonObject c)
    {
        string cls = (string?)c["class"] ?? throw new InvalidDataException("model config has no 'class'");
        if (cls == "Sequential")
        {
            var seq = new Sequential(c["layers"]!.AsArray().Select(l => LayerRegistry.Create(l!.AsObject())), (string?)c["name"]);
            if (c["input_shape"] is JsonArray shape)
            {
                using var scope = TensorScope.Begin();
                GradientTape.NoRecord(() => seq.Apply(Tensor.Zeros(new Shape([1, .. shape.Select(d => (int)d!)]))));
            }

            return seq;
        }

        if (cls != "Functional")
        {
            throw new InvalidDataException($"unknown model class '{cls}' in config");
        }

        var tensors = new Dictionary<string, KerasTensor>(StringComparer.Ordinal);
        var inputs = new List<KerasTensor>();
        foreach (var i in c["inputs"]!.AsArray())
        {
            var t = Input.Create(i!["shape"]!.AsArray().Select(d => (int)d!).ToArray(), (string?)i["name"]);
            tensors[(string)i["name"]!] = t;
            inputs.Add(t);
        }

        foreach (var l in c["layers"]!.AsArray())
        {
            var layer = LayerRegistry.Create(l!.AsObject());
            var parents = l["inbound"]!.AsArray().Select(p => tensors[(string)p!]).ToArray();
            tensors[(string)l["output"]!] = layer.Apply(parents);
        }

        return new Model([.. inputs], c["outputs"]!.AsArray().Select(o => tensors[(string)o!]).ToArray(), (string?)c["name"]);
    }
}

/// <summary>Rebuilds built-in layers from their saved config.</summary>
internal static class LayerRegistry
{
    private static readonly Dictionary<string, Func<JsonObject, Layer>> Factories = new(StringComparer.Ordinal)
    {
        [nameof(Dense)] = Dense.FromConfig,
        [nameof(Conv2D)] = Conv2D.FromConfig,
        [nameof(MaxPool2D)] = MaxPool2D.FromConfig,
        [nameof(Flatten)] = Flatten.FromConfig,
        [nameof(Reshape)] = Reshape.FromConfig,
        [nameof(Softmax)] = Softmax.FromConfig,
        [nameof(ActivationLayer)] = ActivationLayer.FromConfig,
        [nameof(Dropout)] = Dropout.FromConfig,
        [nameof(OneHot)] = OneHot.FromConfig,
        [nameof(Concatenate)] = Concatenate.FromConfig,
        [nameof(Add)] = Add.FromConfig,
        [nameof(Multiply)] = Multiply.FromConfig,
        [nameof(ChannelSlice)] = ChannelSlice.FromConfig,
        [nameof(ChannelShuffle)] = ChannelShuffle.FromConfig,
        ["AddLayer"] = Add.FromConfig,   // the class's name before 0.10
        [nameof(ZeroPadding2D)] = ZeroPadding2D.FromConfig,
        [nameof(AveragePooling2D)] = AveragePooling2D.FromConfig,
        [nameof(GlobalAveragePooling2D)] = GlobalAveragePooling2D.FromConfig,
        [nameof(GlobalMaxPooling2D)] = GlobalMaxPooling2D.FromConfig,
        [nameof(DepthwiseConv2D)] = DepthwiseConv2D.FromConfig,
        [nameof(BatchNormalization)] = BatchNormalization.FromConfig,
        [nameof(ReLU)] = ReLU.FromConfig,
        [nameof(LSTM)] = LSTM.FromConfig,
        [nameof(Embedding)] = Embedding.FromConfig,
    };

    public static bool Has(string cls) => Factories.ContainsKey(cls);

    public static Layer Create(JsonObject node)
    {
        string cls = (string?)node["class"] ?? throw new InvalidDataException("layer config has no 'class'");
        return Factories.TryGetValue(cls, out var f)
            ? f(node["config"]!.AsObject())
            : throw new InvalidDataException($"unknown layer class '{cls}' in the saved architecture");
    }
}
