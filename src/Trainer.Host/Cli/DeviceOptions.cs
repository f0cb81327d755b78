using System.CommandLine;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Backends.Cpu;
using EdgeNet.Trainer.Backends.OpenCL;

namespace EdgeNet.Trainer.Cli;

/// <summary>The --device option: cpu, opencl[:N|:NAME], or auto (first GPU, else an OpenCL CPU device, else cpu).</summary>
internal static class DeviceOptions
{
    public static Option<string> Create() => new("--device")
    {
        Description = "compute device: auto (first OpenCL GPU, else OpenCL CPU device, else cpu), cpu, opencl, opencl:N or opencl:NAME",
        DefaultValueFactory = _ => "cpu",
    };

    public static Command DevicesCommand()
    {
        var cmd = new Command("devices", "List the OpenCL platforms and devices the trainer can use.");
        cmd.SetAction(_ =>
        {
            var devices = OpenClDevices.List();
            Console.WriteLine($"cpu: the CPU backend ({Environment.ProcessorCount} threads, GEMM {EdgeNet.Trainer.Backends.Cpu.CpuBackend.GemmKernel})");
            if (devices.Count == 0)
            {
                Console.WriteLine("opencl: no platform found (install an OpenCL driver, e.g. pocl-opencl-icd)");
            }

            foreach (var d in devices)
            {
                Console.WriteLine($"opencl:{d.Index}: {d}");
            }

            return 0;
        });
        return cmd;
    }
}
