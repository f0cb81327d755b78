using System.CommandLine;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Backends.Cpu;

namespace EdgeNet.Trainer.Cli;

/// <summary>The --device option: cpu (more backends plug in here).</summary>
internal static class DeviceOptions
{
    public static Option<string> Create() => new("--device")
    {
        Description = "compute device: cpu",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>Makes the chosen backend current; disposing the handle restores the previous one.</summary>
    public static DeviceHandle Select(string? spec)
    {
        IBackend backend = (spec ?? "cpu").ToLowerInvariant() switch
        {
            "cpu" => CpuBackend.Instance,
            _ => throw new ArgumentException($"unknown device '{spec}'; use cpu"),
        };
        return new DeviceHandle(backend, Device.Use(backend));
    }

    internal sealed class DeviceHandle(IBackend backend, IDisposable restore) : IDisposable
    {
        public string Name => backend.Name;

        public void Dispose() => restore.Dispose();
    }
}
