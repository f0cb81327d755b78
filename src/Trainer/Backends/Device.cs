using EdgeNet.Trainer.Backends.Cpu;
using EdgeNet.Trainer.Backends.OpenCL;

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

    /// <summary>The current backend (the CPU unless <see cref="Select"/> or <see cref="Use"/> changed it).</summary>
    internal static IBackend Current
    {
        get => s_scoped.Value ?? s_default;
        set => s_default = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Makes <paramref name="backend"/> current for this thread/async flow until the handle is disposed.</summary>
    internal static IDisposable Use(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var previous = s_scoped.Value;
        s_scoped.Value = backend;
        return new Restore(previous);
    }

    /// <summary>The name of the device new tensors are created on, e.g. "cpu (2 threads, gemm avx2 6x16)".</summary>
    public static string Name => Current.Name;

    /// <summary>
    /// Makes a device current for this thread/async flow until the handle is disposed (an OpenCL context is
    /// released then): <c>cpu</c>; <c>opencl</c> (the first OpenCL device), <c>opencl:N</c> or <c>opencl:NAME</c>;
    /// <c>auto</c> (the first OpenCL device when there is one, else the CPU). <c>edgenet-train devices</c> lists them.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="spec"/> names no device kind.</exception>
    /// <exception cref="OpenClException">No OpenCL platform, or the named device is not there.</exception>
    public static IDisposable Select(string? spec)
    {
        string s = (spec ?? "cpu").ToLowerInvariant();
        IBackend backend = s switch
        {
            "cpu" => CpuBackend.Instance,
            "auto" => OpenClDevices.List() is { Count: > 0 } ? OpenClBackend.Create() : CpuBackend.Instance,
            "opencl" => OpenClBackend.Create(),
            _ when s.StartsWith("opencl:", StringComparison.Ordinal) => OpenClBackend.Create(spec![7..]),
            _ => throw new ArgumentException($"unknown device '{spec}'; use cpu, auto, opencl, opencl:N or opencl:NAME", nameof(spec)),
        };
        return new Selected(backend, Use(backend));
    }

    private sealed class Selected(IBackend backend, IDisposable restore) : IDisposable
    {
        public void Dispose()
        {
            restore.Dispose();
            if (backend is not CpuBackend)
            {
                backend.Dispose();
            }
        }
    }

    private sealed class Restore(IBackend? previous) : IDisposable
    {
        public void Dispose() => s_scoped.Value = previous;
    }
}
