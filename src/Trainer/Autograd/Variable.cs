using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

/// <summary>
/// A named, long-lived tensor that optimizers update in place (Keras' <c>tf.Variable</c>).
/// Trainable variables are watched by every <see cref="GradientTape"/> automatically.
/// </summary>
public sealed class Variable
{
    /// <summary>A variable holding a copy of <paramref name="initialValue"/>; <paramref name="trainable"/> ones are watched by every tape and listed in a layer's trainable variables.</summary>
    public Variable(string name, Tensor initialValue, bool trainable = true)
    {
        ArgumentNullException.ThrowIfNull(initialValue);
        Name = name;
        Trainable = trainable;
        Value = TensorScope.Detach(Tensor.Empty(initialValue.Shape, initialValue.Backend));
        Value.Backend.Copy(initialValue.Storage, 0, Value.Storage, 0, initialValue.Size);
        Value.Variable = this;
    }

    /// <summary>The variable's name, e.g. <c>dense/kernel</c>.</summary>
    public string Name { get; internal set; }

    /// <summary>Whether optimizers update it and tapes watch it.</summary>
    public bool Trainable { get; set; }

    /// <summary>The variable's tensor. Its storage is updated in place; the object never changes.</summary>
    public Tensor Value { get; }

    /// <summary>The variable's shape.</summary>
    public Shape Shape => Value.Shape;

    internal IBackend Backend => Value.Backend;

    /// <summary>A copy of the values on the host (tf.Variable.numpy()).</summary>
    public float[] Numpy() => Value.ToArray();

    /// <summary>Overwrites the value (shape must match).</summary>
    public void Assign(ReadOnlySpan<float> values)
    {
        if (values.Length != Value.Size)
        {
            throw new ArgumentException($"variable '{Name}' has shape {Shape} ({Value.Size} values); got {values.Length}");
        }

        Value.Backend.Upload(values, Value.Storage);
    }

    /// <summary>Overwrites the values with <paramref name="value"/> (same shape).</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public void Assign(Tensor value)
    {
        if (!value.Shape.Equals(Shape))
        {
            throw new ArgumentException($"variable '{Name}' has shape {Shape}; cannot assign {value.Shape}");
        }

        Value.Backend.Copy(value.Storage, 0, Value.Storage, 0, Value.Size);
    }

    /// <summary>Adds <paramref name="delta"/> in place (tf.Variable.assign_add); a one-element delta is added to every value.</summary>
    public void AssignAdd(Tensor delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (!delta.Shape.Equals(Shape) && delta.Size != 1)
        {
            throw new ArgumentException($"variable '{Name}' has shape {Shape}; cannot add {delta.Shape}");
        }

        Value.Backend.Binary(BinaryOp.Add, Value.Storage, delta.Storage, Value.Storage, Value.Size, delta.Size);
    }

    /// <summary>Adds <paramref name="delta"/> to every value in place.</summary>
    public void AssignAdd(float delta) => Value.Backend.Affine(Value.Storage, Value.Storage, Value.Size, 1f, delta);

    /// <summary>The variable's current value, so a variable can be used wherever a tensor is.</summary>
    public static implicit operator Tensor(Variable v) => v?.Value ?? throw new ArgumentNullException(nameof(v));

    /// <summary>The variable's current value.</summary>
    public Tensor ToTensor() => Value;

    /// <summary>The name and shape.</summary>
    public override string ToString() => $"<Variable '{Name}' shape={Shape} {Value}>";
}
