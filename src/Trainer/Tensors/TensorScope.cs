namespace EdgeNet.Trainer.Tensors;

/// <summary>
/// Releases every tensor created while it is the innermost scope when it is disposed, so a training
/// step returns all its activations and gradients to the pool (device memory on OpenCL).
/// <c>Keep</c> moves a tensor out to the enclosing scope (or makes it unscoped).
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? t_current;

    private readonly TensorScope? _parent;
    private readonly List<Tensor> _owned = [];
    private bool _disposed;

    private TensorScope()
    {
        _parent = t_current;
        t_current = this;
    }

    /// <summary>Opens a scope on this thread: tensors made until it is disposed return to the pool then (wrap each training step in one).</summary>
    public static TensorScope Begin() => new();

    internal static TensorScope? Current => t_current;

    internal static void Register(Tensor t)
    {
        if (t_current is { } s)
        {
            t.Scope = s;
            s._owned.Add(t);
        }
    }

    /// <summary>Keeps <paramref name="t"/> alive past this scope: it moves to the enclosing scope, or is unscoped.</summary>
    public Tensor Keep(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Scope == this)
        {
            t.Scope = _parent;
            _parent?._owned.Add(t);
        }

        return t;
    }

    /// <summary>Removes <paramref name="t"/> from whatever scope owns it (used for variables and optimizer slots).</summary>
    internal static Tensor Detach(Tensor t)
    {
        t.Scope = null;
        return t;
    }

    /// <summary>Tensors the scope owns.</summary>
    public int Count => _owned.Count;

    /// <summary>Returns the scope's tensors to the pool and reopens the enclosing scope.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (t_current != this)
        {
            throw new InvalidOperationException("TensorScopes must be disposed in reverse order of creation (use 'using var scope = TensorScope.Begin();')");
        }

        t_current = _parent;
        foreach (var t in _owned)
        {
            if (t.Scope == this)
            {
                t.Dispose();
            }
        }

        _owned.Clear();
    }
}
