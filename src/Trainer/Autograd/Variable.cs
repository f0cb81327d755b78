using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

/// <summary>
/// A named, long-lived tensor that optimizers update in place (Keras' <c>tf.Variable</c>).
/// Trainable variables are watched by every <see cref="GradientTape"/> automatically.
/// </summary>
public sealed class Variable
{
    public Variable(string name, Tensor initialValue, bool trainable = true)
    {
        ArgumentNullException.ThrowIfNull(initialValue);
        Name = name;
        Trainable = trainable;
        Value = TensorScope.Detach(Tensor.Empty(initialValue.Shape, initialValue.Backend));
        Value.Backend.Copy(initialValue.Storage, 0, Value.Storage, 0, initialValue.Size);
        Value.Variable = this;
    }

    public string Name { get; internal set; }

    public bool Trainable { get; set; }

    /// <summary>The variable's tensor. Its storage is updated in place; the object never changes.</summary>
    public Tensor Value { get; }

    public Shape Shape => Value.Shape;

    internal IBackend Backend => Value.Backend;

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

    public static implicit operator Tensor(Variable v) => v?.Value ?? throw new ArgumentNullException(nameof(v));

    public Tensor ToTensor() => Value;

    public override string ToString() => $"<Variable '{Name}' shape={Shape} {Value}>";
}
