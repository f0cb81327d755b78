using System.Text;
using Silk.NET.OpenCL;

namespace EdgeNet.Trainer.Backends.OpenCL;

/// <summary>One OpenCL device as discovered.</summary>
public sealed record OpenClDeviceInfo(int Index, nint Platform, nint Device, string PlatformName, string Name, bool IsGpu, bool IsCpu, long GlobalMemory, int ComputeUnits)
{
    /// <summary>The platform, the device's name and type, compute units and memory.</summary>
    public override string ToString() =>
        $"#{Index} {Name} ({(IsGpu ? "GPU" : IsCpu ? "CPU" : "accelerator")}, {ComputeUnits} compute units, {GlobalMemory / (1 << 20)} MiB) on {PlatformName}";
}

/// <summary>Lists OpenCL platforms and devices (edgenet-train devices).</summary>
public static unsafe class OpenClDevices
{
    private static CL? s_api;

    internal static CL Api => s_api ??= CL.GetApi();

    /// <summary>Why the last <see cref="List"/> found no device (the loader's error, or what the platform query returned); null when it found one.</summary>
    public static string? UnavailableReason { get; private set; }

    /// <summary>All devices of all platforms, GPUs first; empty when no OpenCL library or platform exists (<see cref="UnavailableReason"/> says why).</summary>
    public static IReadOnlyList<OpenClDeviceInfo> List()
    {
        CL cl;
        try
        {
            cl = Api;
        }
        catch (Exception e) when (e is DllNotFoundException or FileNotFoundException or InvalidOperationException or TypeInitializationException)
        {
            UnavailableReason = $"the OpenCL loader (libOpenCL.so.1) could not be loaded: {e.GetBaseException().Message}; install ocl-icd-libopencl1 and a driver such as pocl-opencl-icd";
            return [];
        }

        uint nPlatforms = 0;
        int err = cl.GetPlatformIDs(0, null, &nPlatforms);
        if (err != 0 || nPlatforms == 0)
        {
            UnavailableReason = $"clGetPlatformIDs returned {err} with {nPlatforms} platforms: the loader found no OpenCL driver (an ICD in /etc/OpenCL/vendors); install pocl-opencl-icd or a GPU driver";
            return [];
        }

        var platforms = new nint[nPlatforms];
        fixed (nint* p = platforms)
        {
            cl.GetPlatformIDs(nPlatforms, p, null);
        }

        var found = new List<OpenClDeviceInfo>();
        foreach (var platform in platforms)
        {
            uint nDevices = 0;
            if (cl.GetDeviceIDs(platform, DeviceType.All, 0, null, &nDevices) != 0 || nDevices == 0)
            {
                continue;
            }

            var devices = new nint[nDevices];
            fixed (nint* d = devices)
            {
                cl.GetDeviceIDs(platform, DeviceType.All, nDevices, d, null);
            }

            string platformName = PlatformString(cl, platform, PlatformInfo.Name);
            foreach (var device in devices)
            {
                ulong type = 0, mem = 0;
                uint units = 0;
                cl.GetDeviceInfo(device, DeviceInfo.Type, (nuint)sizeof(ulong), &type, null);
                cl.GetDeviceInfo(device, DeviceInfo.GlobalMemSize, (nuint)sizeof(ulong), &mem, null);
                cl.GetDeviceInfo(device, DeviceInfo.MaxComputeUnits, (nuint)sizeof(uint), &units, null);
                found.Add(new OpenClDeviceInfo(0, platform, device, platformName, DeviceString(cl, device, DeviceInfo.Name),
                    (type & (ulong)DeviceType.Gpu) != 0, (type & (ulong)DeviceType.Cpu) != 0, (long)mem, (int)units));
            }
        }

        UnavailableReason = found.Count == 0 ? $"{nPlatforms} OpenCL platform(s) but no device" : null;
        return found.OrderByDescending(d => d.IsGpu).Select((d, i) => d with { Index = i }).ToList();
    }

    private delegate int InfoQuery(nuint size, void* value, nuint* sizeRet);

    private static string PlatformString(CL cl, nint platform, PlatformInfo what) =>
        QueryString((size, value, ret) => cl.GetPlatformInfo(platform, what, size, value, ret));

    private static string DeviceString(CL cl, nint device, DeviceInfo what) =>
        QueryString((size, value, ret) => cl.GetDeviceInfo(device, what, size, value, ret));

    /// <summary>The two-call OpenCL string query: ask the size, then the bytes.</summary>
    private static string QueryString(InfoQuery query)
    {
        nuint size = 0;
        query(0, null, &size);
        var buf = new byte[(int)size];
        fixed (byte* b = buf)
        {
            query(size, b, null);
        }

        return Encoding.UTF8.GetString(buf).TrimEnd('\0').Trim();
    }
}
