namespace EdgeNet.Trainer.Tensors;

/// <summary>An immutable tensor shape (outermost dimension first, NHWC for images).</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long size = 1;
        foreach (int d in dims)
        {
            if (d < 0)
            {
                throw new ArgumentException($"shape [{string.Join(", ", dims)}] has a negative dimension");
            }

            size *= d;
            if (size > int.MaxValue)
            {
                throw new ArgumentException($"shape [{string.Join(", ", dims)}] has more than {int.MaxValue} elements");
            }
        }

        _dims = (int[])dims.Clone();
        Size = (int)size;
    }

    public int Rank => _dims.Length;

    /// <summary>Number of elements.</summary>
    public int Size { get; }

    public int this[int axis] => _dims[axis < 0 ? _dims.Length + axis : axis];

    public int[] Dims => (int[])_dims.Clone();

    public ReadOnlySpan<int> AsSpan() => _dims;

    /// <summary>Product of all dimensions but the last (rows of a [rows, cols] view).</summary>
    public int Rows => Rank == 0 ? 1 : Size / Math.Max(1, _dims[^1]);

    public int Last => Rank == 0 ? 1 : _dims[^1];

    public Shape WithBatch(int batch)
    {
        var d = Dims;
        d[0] = batch;
        return new Shape(d);
    }

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    public override bool Equals(object? obj) => Equals(obj as Shape);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in _dims)
        {
            h.Add(d);
        }

        return h.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(", ", _dims) + "]";

    public static implicit operator Shape(int[] dims) => new(dims);
}
