using EdgeNet.Trainer.Backends.Cpu;

namespace EdgeNet.Trainer.Backends;

/// <summary>
/// The backend new tensors are created on: a process-wide default (CPU unless changed, e.g. by
/// <c>--device</c>), overridden for the current thread and async flow by <see cref="Use"/>, so
/// code on another thread (tests running in parallel, say) keeps its own device.
/// </summary>
public static class Device
{
    private static IBackend s_default = CpuBackend.Instance;
    private static readonly AsyncLocal<IBackend?> s_scoped = new();

    public static IBackend Current
    {
        get => s_scoped.Value ?? s_default;
        set => s_default = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Makes <paramref name="backend"/> current for this thread/async flow until the handle is disposed.</summary>
    public static IDisposable Use(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var previous = s_scoped.Value;
        s_scoped.Value = backend;
        return new Restore(previous);
    }

    private sealed class Restore(IBackend? previous) : IDisposable
    {
        public void Dispose() => s_scoped.Value = previous;
    }
}
