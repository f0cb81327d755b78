using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Models;

/// <summary>A linear stack of layers (tf.keras.models.Sequential).</summary>
public sealed class Sequential : Model
{
    private readonly List<Layer> _layers = [];

    /// <summary>A stack of <paramref name="layers"/> applied in order.</summary>
    public Sequential(IEnumerable<Layer>? layers = null, string? name = null)
        : base(name)
    {
        foreach (var l in layers ?? [])
        {
            Add(l);
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Appends <paramref name="layer"/> to the stack.</summary>
    public void Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        _layers.Add(Track(layer));
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false)
    {
        var x = input;
        foreach (var l in _layers)
        {
            x = l.Apply(x, training);
        }

        return x;
    }
}
