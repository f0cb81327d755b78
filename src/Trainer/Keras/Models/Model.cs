using System.Globalization;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Models;

/// <summary>
/// A model (tf.keras.Model), split into partial files by phase as Keras' own: this file holds
/// construction and the forward pass (subclassed or functional); Model.Compile, Model.Fit,
/// Model.Evaluate, Model.Predict and Model.Save hold the rest.
/// Subclass it and override <see cref="Layer.Call(Tensor, bool)"/>, or build it from symbolic
/// tensors: <c>new Model(inputs, outputs)</c>.
/// </summary>
public partial class Model : Layer
{
    private readonly KerasTensor[]? _inputs;
    private readonly KerasTensor[]? _outputs;
    private readonly List<KerasTensor>? _order;

    /// <summary>For subclassed models: create layers in the constructor, override Call.</summary>
    protected Model(string? name = null)
        : base(name)
    {
    }

    /// <summary>A functional model from one input to one output.</summary>
    public Model(KerasTensor inputs, KerasTensor outputs, string? name = null)
        : this([inputs], [outputs], name)
    {
    }

    /// <summary>A functional model; several inputs and outputs are allowed.</summary>
    public Model(KerasTensor[] inputs, KerasTensor[] outputs, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        _inputs = inputs;
        _outputs = outputs;
        _order = [];
        var seen = new HashSet<KerasTensor>();
        foreach (var o in outputs)
        {
            Visit(o, seen);
        }

        foreach (var t in _order.Where(t => t.Layer is null))
        {
            if (!inputs.Contains(t))
            {
                throw new ArgumentException($"output depends on '{t.Name}', which is not among the model's inputs");
            }
        }

        foreach (var layer in _order.Select(t => t.Layer).OfType<Layer>().Distinct())
        {
            Track(layer);
        }

        Built = true;
    }

    private void Visit(KerasTensor t, HashSet<KerasTensor> seen)
    {
        if (!seen.Add(t))
        {
            return;
        }

        foreach (var p in t.Parents)
        {
            Visit(p, seen);
        }

        _order!.Add(t);
    }

    /// <summary>True for a model built from symbolic inputs and outputs (the functional API).</summary>
    public bool IsFunctional => _order is not null;

    /// <summary>Symbolic inputs of a functional model.</summary>
    public IReadOnlyList<KerasTensor> Inputs => _inputs ?? [];

    /// <summary>Symbolic outputs of a functional model.</summary>
    public IReadOnlyList<KerasTensor> Outputs => _outputs ?? [];

    /// <summary>The model's layers in order.</summary>
    public virtual IReadOnlyList<Layer> Layers => Sublayers;

    /// <summary>Set by callbacks (EarlyStopping) to end Fit after the current epoch.</summary>
    public bool StopTraining { get; set; }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) =>
        IsFunctional
            ? CallFunctional([input], training)[0]
            : throw new InvalidOperationException($"model '{Name}' ({GetType().Name}) must override Call(Tensor input, bool training)");

    /// <inheritdoc/>
    public override Tensor Call(IReadOnlyList<Tensor> inputs, bool training = false) =>
        IsFunctional ? CallFunctional(inputs, training)[0] : base.Call(inputs, training);

    /// <summary>Runs a functional model and returns every output.</summary>
    public IReadOnlyList<Tensor> CallFunctional(IReadOnlyList<Tensor> inputs, bool training = false)
    {
        if (!IsFunctional)
        {
            throw new InvalidOperationException($"model '{Name}' is not functional");
        }

        if (inputs.Count != _inputs!.Length)
        {
            throw new ArgumentException($"model '{Name}' takes {_inputs.Length} inputs, got {inputs.Count}");
        }

        var values = new Dictionary<KerasTensor, Tensor>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var expected = _inputs[i].SampleShape;
            if (!new Shape(inputs[i].Shape.AsSpan()[1..].ToArray()).Equals(expected))
            {
                throw new ArgumentException($"input '{_inputs[i].Name}' expects samples of shape {expected}, got a batch {inputs[i].Shape}");
            }

            values[_inputs[i]] = inputs[i];
        }

        foreach (var node in _order!)
        {
            if (node.Layer is null)
            {
                continue;
            }

            values[node] = node.Layer.Apply(node.Parents.Select(p => values[p]).ToList(), training);
        }

        return _outputs!.Select(o => values[o]).ToList();
    }

    /// <summary>
    /// The layers, output shapes and parameter counts as Keras' model.summary() prints them: for a functional model
    /// each node with its output shape and the nodes it is connected to, then the total, trainable and
    /// non-trainable parameter counts.
    /// </summary>
    public string Summary()
    {
        const int nameW = 40, shapeW = 26, paramW = 12;
        int width = IsFunctional ? 120 : nameW + shapeW + paramW;
        var sb = new System.Text.StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Model: \"{Name}\"");
        sb.AppendLine(new string('_', width));
        sb.Append(CultureInfo.InvariantCulture, $" {"Layer (type)",-(nameW - 1)}{"Output Shape",-shapeW}{"Param #",-paramW}");
        sb.AppendLine(IsFunctional ? "Connected to" : "");
        sb.AppendLine(new string('=', width));
        if (IsFunctional)
        {
            foreach (var node in _order!)
            {
                string type = node.Layer?.GetType().Name ?? "InputLayer";
                int n = node.Layer?.CountParams() ?? 0;
                string shape = node.Layer is null ? $"[{node.ShapeText}]" : node.ShapeText;
                string connected = "[" + string.Join(", ", node.Parents.Select(p => $"'{p.Name}[0][0]'")) + "]";
                sb.AppendLine(CultureInfo.InvariantCulture, $" {$"{node.Name} ({type})",-(nameW - 1)}{shape,-shapeW}{n,-paramW:N0}{connected}");
            }
        }
        else
        {
            foreach (var l in Layers)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $" {$"{l.Name} ({l.GetType().Name})",-(nameW - 1)}{"",-shapeW}{l.CountParams(),-paramW:N0}");
            }
        }

        int total = CountParams(), trainable = TrainableVariables.Sum(v => v.Shape.Size);
        sb.AppendLine(new string('=', width));
        sb.AppendLine(CultureInfo.InvariantCulture, $"Total params: {total:N0}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Trainable params: {trainable:N0}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Non-trainable params: {total - trainable:N0}");
        sb.AppendLine(new string('_', width));
        return sb.ToString();
    }
}

/// <summary>Symbolic model inputs (tf.keras.Input).</summary>
public static class Input
{
    /// <summary>A symbolic input of samples shaped <paramref name="shape"/> (batch excluded).</summary>
    public static KerasTensor Create(int[] shape, string? name = null) => KerasTensor.Input(new Shape(shape), name);
}
