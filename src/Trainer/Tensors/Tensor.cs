using System.Globalization;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Backends;

namespace EdgeNet.Trainer.Tensors;

/// <summary>
/// A dense float tensor on one backend. Created inside a <see cref="TensorScope"/> it is released
/// when the scope ends; otherwise when disposed (or never, for long-lived tensors such as
/// variables). Integer data (labels, token ids) are stored as exact float values.
/// </summary>
public sealed class Tensor : IDisposable
{
    private static long s_nextId;
    private bool _disposed;

    internal Tensor(Storage storage, Shape shape, bool register = true)
    {
        if (shape.Size > storage.Length)
        {
            throw new ArgumentException($"shape {shape} needs {shape.Size} elements but the storage has {storage.Length}");
        }

        Storage = storage;
        Shape = shape;
        Id = Interlocked.Increment(ref s_nextId);
        if (register)
        {
            TensorScope.Register(this);
        }
    }

    /// <summary>The tensor's shape.</summary>
    public Shape Shape { get; }

    /// <summary>A process-unique number (the tape keys its sets by it: cheaper than an object hash code for fresh tensors).</summary>
    internal long Id { get; }

    internal Storage Storage { get; }

    internal IBackend Backend => Storage.Backend;

    /// <summary>Number of elements.</summary>
    public int Size => Shape.Size;

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>The variable this tensor holds the value of, if any.</summary>
    public Variable? Variable { get; internal set; }

    internal TensorScope? Scope { get; set; }

    /// <summary>True once the storage went back to the pool.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>A new uninitialized tensor on the current device.</summary>
    public static Tensor Empty(Shape shape) => Empty(shape, null);

    /// <summary>A new tensor of zeros on the current device.</summary>
    public static Tensor Zeros(Shape shape) => Zeros(shape, null);

    /// <summary>A new tensor filled with <paramref name="value"/> on the current device.</summary>
    public static Tensor Full(Shape shape, float value) => Full(shape, value, null);

    /// <summary>A new tensor of ones on the current device.</summary>
    public static Tensor Ones(Shape shape) => Ones(shape, null);

    /// <summary>A rank-0 tensor holding <paramref name="value"/> on the current device.</summary>
    public static Tensor Scalar(float value) => Scalar(value, null);

    /// <summary>A new tensor on the current device holding <paramref name="data"/> (row-major; its length must be the shape's size).</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, Shape shape) => FromArray(data, shape, null);

    /// <summary>A new uninitialized tensor on <paramref name="backend"/> (default: <see cref="Device.Current"/>).</summary>
    internal static Tensor Empty(Shape shape, IBackend? backend) =>
        new((backend ?? Device.Current).Allocate(shape.Size), shape);

    internal static Tensor Zeros(Shape shape, IBackend? backend) =>
        new((backend ?? Device.Current).Allocate(shape.Size, zero: true), shape);

    internal static Tensor Full(Shape shape, float value, IBackend? backend)
    {
        var t = Empty(shape, backend);
        t.Backend.Fill(t.Storage, value);
        return t;
    }

    internal static Tensor Ones(Shape shape, IBackend? backend) => Full(shape, 1f, backend);

    internal static Tensor Scalar(float value, IBackend? backend) => Full(new Shape(), value, backend);

    internal static Tensor FromArray(ReadOnlySpan<float> data, Shape shape, IBackend? backend)
    {
        if (data.Length != shape.Size)
        {
            throw new ArgumentException($"{data.Length} values do not fill shape {shape} ({shape.Size} elements)");
        }

        var t = Empty(shape, backend);
        t.Backend.Upload(data, t.Storage);
        return t;
    }

    /// <summary>A new tensor of <paramref name="shape"/> holding <paramref name="data"/> (row-major).</summary>
    public static Tensor FromArray(float[] data, params int[] shape) => FromArray(data, new Shape(shape));

    /// <summary>A 2-D tensor from rows, e.g. the chapter's <c>tf.constant([[1., 2., 3.], [4., 5., 6.]])</c>.</summary>
    public static Tensor FromRows(float[][] rows)
    {
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        if (rows.Any(r => r.Length != cols))
        {
            throw new ArgumentException("all rows must have the same length");
        }

        return FromArray(rows.SelectMany(r => r).ToArray(), rows.Length, cols);
    }

    /// <summary>Copies the values to the host.</summary>
    public float[] ToArray()
    {
        ThrowIfDisposed();
        var r = new float[Size];
        Backend.Download(Storage, r);
        return r;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Size != 1)
        {
            throw new InvalidOperationException($"Item() needs a one-element tensor; this one has shape {Shape}");
        }

        return ToArray()[0];
    }

    /// <summary>The same values in <paramref name="shape"/> (one dimension may be -1); recorded on the tape.</summary>
    public Tensor Reshape(params int[] shape) => Ops.Reshape(this, shape);

    internal void ThrowIfDisposed()
    {
        if (_disposed || Storage.IsReleased)
        {
            throw new ObjectDisposedException(nameof(Tensor), $"tensor {Shape} was released: it was created in a TensorScope that has ended; keep it with scope.Keep(tensor)");
        }
    }

    /// <summary>Returns the storage to the pool (a scope does this for the tensors made in it).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Storage.Release();
    }

    /// <summary>The shape and, for small tensors, the values.</summary>
    public override string ToString()
    {
        if (_disposed)
        {
            return $"Tensor{Shape} (released)";
        }

        var v = ToArray();
        const int Shown = 12;
        string vals = string.Join(", ", v.Take(Shown).Select(x => x.ToString("G6", CultureInfo.InvariantCulture)));
        return $"Tensor{Shape} [{vals}{(v.Length > Shown ? ", ..." : "")}]";
    }

    /// <summary>a + b (<see cref="Ops.Add"/>).</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);

    /// <summary>a − b (<see cref="Ops.Sub"/>).</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);

    /// <summary>a × b element-wise (<see cref="Ops.Mul"/>).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);

    /// <summary>a / b element-wise (<see cref="Ops.Div"/>).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);

    /// <summary>a + b for every element.</summary>
    public static Tensor operator +(Tensor a, float b) => Ops.Affine(a, 1f, b);

    /// <summary>a − b for every element.</summary>
    public static Tensor operator -(Tensor a, float b) => Ops.Affine(a, 1f, -b);

    /// <summary>a × b for every element.</summary>
    public static Tensor operator *(Tensor a, float b) => Ops.Affine(a, b, 0f);

    /// <summary>a / b for every element.</summary>
    public static Tensor operator /(Tensor a, float b) => Ops.Affine(a, 1f / b, 0f);

    /// <summary>a + b for every element.</summary>
    public static Tensor operator +(float a, Tensor b) => Ops.Affine(b, 1f, a);

    /// <summary>a − b for every element.</summary>
    public static Tensor operator -(float a, Tensor b) => Ops.Affine(b, -1f, a);

    /// <summary>a × b for every element.</summary>
    public static Tensor operator *(float a, Tensor b) => Ops.Affine(b, a, 0f);

    /// <summary>−a.</summary>
    public static Tensor operator -(Tensor a) => Ops.Affine(a, -1f, 0f);

    /// <summary>a + b.</summary>
    public static Tensor Add(Tensor a, Tensor b) => a + b;

    /// <summary>a − b.</summary>
    public static Tensor Subtract(Tensor a, Tensor b) => a - b;

    /// <summary>a × b element-wise.</summary>
    public static Tensor Multiply(Tensor a, Tensor b) => a * b;

    /// <summary>a / b element-wise.</summary>
    public static Tensor Divide(Tensor a, Tensor b) => a / b;

    /// <summary>−a.</summary>
    public static Tensor Negate(Tensor a) => -a;
}

/// <summary>Tensor identity (reference equality) hashed by <see cref="Tensor.Id"/>.</summary>
internal sealed class TensorIdentity : IEqualityComparer<Tensor>
{
    public static TensorIdentity Instance { get; } = new();

    public bool Equals(Tensor? x, Tensor? y) => ReferenceEquals(x, y);

    public int GetHashCode(Tensor obj) => obj.Id.GetHashCode();
}
