using System.Reflection;
using System.Text.Json.Nodes;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>
/// Base of every layer and model (tf.keras.layers.Layer). Subclasses create weights in
/// <see cref="Build"/> with <see cref="AddWeight"/> and compute in <see cref="Call(Tensor, bool)"/>;
/// <see cref="Apply(Tensor, bool)"/> builds lazily on the first call, as Keras' __call__ does.
/// Layers held in fields or properties (or lists of them) are tracked as sublayers.
/// </summary>
public abstract class Layer
{
    private readonly List<Variable> _weights = [];
    private readonly List<bool> _weightTrainable = [];
    private bool _trainable = true;
    private readonly List<Layer> _tracked = [];
    private List<Layer>? _discovered;

    /// <summary>A layer named <paramref name="name"/>, or by its class in snake case with a counter (<c>dense</c>, <c>dense_1</c>, ...).</summary>
    protected Layer(string? name = null)
    {
        Name = name ?? KerasBackend.UniqueName(KerasBackend.SnakeCase(GetType().Name));
    }

    /// <summary>The layer's name; its variables are named <c>NAME/kernel</c>, ...</summary>
    public string Name { get; }

    /// <summary>True once the weights were made (on the first call).</summary>
    public bool Built { get; protected set; }

    /// <summary>
    /// Whether the layer's weights train (Keras' <c>layer.trainable</c>): false freezes this layer and its
    /// sublayers (their weights leave <see cref="TrainableVariables"/>); a BatchNormalization that is not
    /// trainable runs in inference mode even when called with training: true, as in Keras.
    /// </summary>
    public bool Trainable
    {
        get => _trainable;
        set
        {
            _trainable = value;
            for (int i = 0; i < _weights.Count; i++)
            {
                _weights[i].Trainable = value && _weightTrainable[i];
            }

            foreach (var l in Sublayers)
            {
                l.Trainable = value;
            }
        }
    }

    /// <summary>Shape of the input the layer was built for (batch dimension included).</summary>
    public Shape? BuildInputShape { get; private set; }

    /// <summary>This layer's own weights followed by its sublayers', in creation order.</summary>
    public IReadOnlyList<Variable> Variables
    {
        get
        {
            var all = new List<Variable>(_weights);
            foreach (var l in Sublayers)
            {
                foreach (var v in l.Variables)
                {
                    if (!all.Contains(v))
                    {
                        all.Add(v);
                    }
                }
            }

            return all;
        }
    }

    /// <summary>The variables optimizers update (this layer's and its sublayers').</summary>
    public IReadOnlyList<Variable> TrainableVariables => Variables.Where(v => v.Trainable).ToList();

    /// <summary>The variables that are not trained (a metric's state, frozen weights).</summary>
    public IReadOnlyList<Variable> NonTrainableVariables => Variables.Where(v => !v.Trainable).ToList();

    /// <summary>Alias of <see cref="Variables"/> (tf.keras weights).</summary>
    public IReadOnlyList<Variable> Weights => Variables;

    /// <summary>Layers this one owns: tracked explicitly, or found in its fields and properties.</summary>
    public IReadOnlyList<Layer> Sublayers
    {
        get
        {
            _discovered ??= Discover();
            return [.. _tracked, .. _discovered.Where(l => !_tracked.Contains(l))];
        }
    }

    /// <summary>Registers a sublayer explicitly (normally found automatically).</summary>
    protected T Track<T>(T layer)
        where T : Layer
    {
        if (!_tracked.Contains(layer))
        {
            _tracked.Add(layer);
        }

        return layer;
    }

    private List<Layer> Discover()
    {
        var found = new List<Layer>();
        for (var t = GetType(); t is not null && t != typeof(Layer); t = t.BaseType)
        {
            foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                switch (f.GetValue(this))
                {
                    case Layer l when !ReferenceEquals(l, this) && !found.Contains(l):
                        found.Add(l);
                        break;
                    case IEnumerable<Layer> ls:
                        found.AddRange(ls.Where(l => !found.Contains(l)));
                        break;
                }
            }
        }

        return found;
    }

    /// <summary>Creates the layer's weights for an input of <paramref name="inputShape"/> (batch included).</summary>
    public virtual void Build(Shape inputShape)
    {
    }

    /// <summary>Adds a weight (tf.keras.layers.Layer.add_weight). Its name becomes "{layer}/{name}".</summary>
    public Variable AddWeight(string name, int[] shape, Initializer? initializer = null, bool trainable = true)
    {
        var s = new Shape(shape);
        var values = (initializer ?? Initializer.GlorotUniform).Generate(s, KerasBackend.NextRandom());
        using var scope = TensorScope.Begin();
        var v = new Variable($"{Name}/{name}", Tensor.FromArray(values, s), trainable && _trainable);
        _weights.Add(v);
        _weightTrainable.Add(trainable);
        return v;
    }

    /// <summary>The forward computation; override in subclasses.</summary>
    public virtual Tensor Call(Tensor input, bool training = false) =>
        throw new InvalidOperationException($"layer '{Name}' ({GetType().Name}) does not override Call(Tensor, bool)");

    /// <summary>Multi-input forward; the default takes exactly one input.</summary>
    public virtual Tensor Call(IReadOnlyList<Tensor> inputs, bool training = false) =>
        inputs.Count == 1 ? Call(inputs[0], training) : throw new ArgumentException($"layer '{Name}' takes one input, got {inputs.Count}");

    /// <summary>Calls the layer (Keras' layer(x)), building it on first use.</summary>
    public Tensor Apply(Tensor input, bool training = false)
    {
        EnsureBuilt(input.Shape);
        string? outer = OpRecording.Swap(Name);
        try
        {
            return Call(input, training);
        }
        finally
        {
            OpRecording.Swap(outer);
        }
    }

    /// <summary>Builds the layer on the first call, then runs it on several inputs (Concatenate, Add, functional models).</summary>
    public Tensor Apply(IReadOnlyList<Tensor> inputs, bool training = false)
    {
        if (inputs.Count == 1)
        {
            return Apply(inputs[0], training);
        }

        EnsureBuilt(inputs[0].Shape);
        string? outer = OpRecording.Swap(Name);
        try
        {
            return Call(inputs, training);
        }
        finally
        {
            OpRecording.Swap(outer);
        }
    }

    private void EnsureBuilt(Shape inputShape)
    {
        if (!Built)
        {
            BuildInputShape = inputShape;
            Build(inputShape);
            Built = true;
        }
    }

    /// <summary>Functional API: connects this layer to symbolic inputs and returns its symbolic output.</summary>
    public KerasTensor Apply(params KerasTensor[] inputs) => KerasTensor.Connect(this, inputs);

    /// <summary>Architecture for saving (Keras get_config); layers that can be rebuilt from config override it.</summary>
    public virtual JsonObject GetConfig() => new() { ["name"] = Name };

    /// <summary>The number of weight values (Keras' count_params()).</summary>
    public int CountParams() => Variables.Sum(v => v.Shape.Size);

    /// <summary>The class and name.</summary>
    public override string ToString() => $"{GetType().Name} '{Name}'";
}
