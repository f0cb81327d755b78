using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>
/// A symbolic tensor of the functional API (tf.keras.Input and what layers return when called on
/// one). Shape excludes nothing: dimension 0 is the batch and is -1 (unknown).
/// </summary>
public sealed class KerasTensor
{
    internal KerasTensor(Shape sampleShape, Layer? layer, KerasTensor[] parents, string name)
    {
        SampleShape = sampleShape;
        Layer = layer;
        Parents = parents;
        Name = name;
    }

    /// <summary>Shape of one sample (without the batch dimension).</summary>
    public Shape SampleShape { get; }

    /// <summary>The layer that produced it; null for a model input.</summary>
    public Layer? Layer { get; }

    /// <summary>The symbolic tensors the producing layer took.</summary>
    public IReadOnlyList<KerasTensor> Parents { get; }

    /// <summary>The tensor's name (the layer's name for a layer output).</summary>
    public string Name { get; }

    /// <summary>The shape as Keras prints it, e.g. <c>(None, 28, 28, 1)</c>.</summary>
    public string ShapeText => "(None, " + string.Join(", ", SampleShape.AsSpan().ToArray()) + ")";

    internal static KerasTensor Input(Shape sampleShape, string? name) =>
        new(sampleShape, null, [], name ?? KerasBackend.UniqueName("input"));

    /// <summary>Builds <paramref name="layer"/> on the inputs' shapes and infers its output shape by a batch-1 trial run.</summary>
    internal static KerasTensor Connect(Layer layer, KerasTensor[] inputs)
    {
        if (inputs.Length == 0)
        {
            throw new ArgumentException($"layer '{layer.Name}' was called on no inputs");
        }

        using var scope = TensorScope.Begin();
        var probes = inputs.Select(i => Tensor.Zeros(new Shape([1, .. i.SampleShape.AsSpan().ToArray()]))).ToArray();
        var y = GradientTape.NoRecord(() => layer.Apply(probes));
        return new KerasTensor(new Shape(y.Shape.AsSpan()[1..].ToArray()), layer, inputs, layer.Name);
    }

    /// <summary>The name and shape.</summary>
    public override string ToString() => $"<KerasTensor '{Name}' shape={ShapeText}>";
}
