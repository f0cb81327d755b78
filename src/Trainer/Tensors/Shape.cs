namespace EdgeNet.Trainer.Tensors;

/// <summary>An immutable tensor shape (outermost dimension first, NHWC for images).</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    /// <summary>A shape of <paramref name="dims"/> (none: a scalar).</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
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

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <summary>Number of elements.</summary>
    public int Size { get; }

    /// <summary>The size of <paramref name="axis"/>; negative counts from the end (-1: the last).</summary>
    public int this[int axis] => _dims[axis < 0 ? _dims.Length + axis : axis];

    /// <summary>A copy of the dimensions.</summary>
    public int[] Dims => (int[])_dims.Clone();

    /// <summary>The dimensions without a copy.</summary>
    public ReadOnlySpan<int> AsSpan() => _dims;

    /// <summary>Product of all dimensions but the last (rows of a [rows, cols] view).</summary>
    public int Rows => Rank == 0 ? 1 : Size / Math.Max(1, _dims[^1]);

    /// <summary>The last dimension (1 for a scalar).</summary>
    public int Last => Rank == 0 ? 1 : _dims[^1];

    /// <summary>This shape as one sample, with a batch axis of <paramref name="batch"/> in front.</summary>
    public Shape WithBatch(int batch)
    {
        var d = Dims;
        d[0] = batch;
        return new Shape(d);
    }

    /// <summary>True for the same dimensions.</summary>
    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    /// <summary>True for a shape with the same dimensions.</summary>
    public override bool Equals(object? obj) => Equals(obj as Shape);

    /// <summary>A hash of the dimensions.</summary>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in _dims)
        {
            h.Add(d);
        }

        return h.ToHashCode();
    }

    /// <summary>The dimensions in brackets, e.g. <c>[50, 28, 28, 1]</c>.</summary>
    public override string ToString() => "[" + string.Join(", ", _dims) + "]";

    /// <summary>The shape of <paramref name="dims"/>.</summary>
    public static implicit operator Shape(int[] dims) => new(dims);
}
