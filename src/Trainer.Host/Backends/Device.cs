using EdgeNet.Trainer.Backends.Cpu;

namespace EdgeNet.Trainer.Backends;

/// <summary>The backend new tensors are created on (CPU unless changed, e.g. by <c>--device</c>).</summary>
public static class Device
{
    private static IBackend s_current = CpuBackend.Instance;

    public static IBackend Current
    {
        get => s_current;
        set => s_current = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Switches the current backend until the returned handle is disposed.</summary>
    public static IDisposable Use(IBackend backend)
    {
        var previous = s_current;
        Current = backend;
        return new Restore(previous);
    }

    private sealed class Restore(IBackend previous) : IDisposable
    {
        public void Dispose() => s_current = previous;
    }
}
