using System.Text;
using Silk.NET.OpenCL;

namespace EdgeNet.Trainer.Backends.OpenCL;

/// <summary>A device buffer of floats, returned to the backend's pool when released.</summary>
internal sealed class OpenClStorage : Storage
{
    internal OpenClStorage(OpenClBackend backend, int length, nint mem)
        : base(backend, length)
    {
        Mem = mem;
    }

    internal nint Mem { get; }

    protected override void Free() => ((OpenClBackend)Backend).Return(this);
}

/// <summary>
/// The OpenCL backend: tensors live in device buffers (pooled by size, so a training step allocates
/// nothing new after the first), kernels come from the embedded Kernels.cl built once per context,
/// GEMM is chosen by device type (local-memory tiles on GPUs, float16 register blocks on CPU
/// devices such as PoCL). Every call is checked; failures name the call, the error and the kernel.
/// </summary>
internal sealed unsafe partial class OpenClBackend : IBackend
{
    private readonly CL _cl;
    private readonly nint _context;
    private readonly nint _queue;
    private readonly nint _program;
    private readonly Dictionary<string, nint> _kernels = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Stack<nint>> _pool = [];
    private readonly Dictionary<Conv2DGeometry, Storage> _geometries = [];
    private readonly Lock _lock = new();
    private long _allocatedBytes;
    private readonly Dictionary<string, (long Ticks, int Calls)>? _profile =
        Environment.GetEnvironmentVariable("EDGENET_CL_PROFILE") == "1" ? new(StringComparer.Ordinal) : null;
    private bool _disposed;

    public OpenClBackend(OpenClDeviceInfo device)
        : this(device, null)
    {
    }

    /// <summary>With <paramref name="source"/> in place of the embedded kernels (tests of the build-error path).</summary>
    internal OpenClBackend(OpenClDeviceInfo device, string? source)
    {
        Device = device;
        GpuKernels = device.IsGpu;
        _cl = OpenClDevices.Api;
        int err;
        nint d = device.Device;
        _context = _cl.CreateContext(null, 1, &d, null, null, &err);
        Check(err, "clCreateContext");
        _queue = _cl.CreateCommandQueue(_context, d, CommandQueueProperties.None, &err);
        Check(err, "clCreateCommandQueue");
        _program = Build(source ?? Source());
    }

    public OpenClDeviceInfo Device { get; }

    /// <summary>
    /// Which kernel variants run: the GPU ones (local-memory tiled GEMM, im2col convolutions) or
    /// the CPU-device ones (register-block GEMM, direct convolution gradients, 16-wide element
    /// kernels). Chosen by device type; settable so the GPU variants can be checked on PoCL.
    /// </summary>
    public bool GpuKernels { get; init; }

    public string Name => $"opencl {Device.Name} ({(GpuKernels ? "GPU kernels, tiled GEMM" : "CPU device, float16 block GEMM")})";

    /// <summary>Device memory currently held by tensors and the pool.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    /// <summary>Picks a device: "opencl" (first GPU, else the first device), "opencl:N" or a name fragment.</summary>
    public static OpenClBackend Create(string? selector = null)
    {
        var devices = OpenClDevices.List();
        if (devices.Count == 0)
        {
            throw new OpenClException($"no OpenCL platform or device found ({OpenClDevices.UnavailableReason}): install an OpenCL driver (on Debian: pocl-opencl-icd ocl-icd-libopencl1, which scripts/setup.sh installs) or use --device cpu");
        }

        if (string.IsNullOrEmpty(selector))
        {
            return new OpenClBackend(devices[0]);
        }

        if (int.TryParse(selector, out int i))
        {
            return i >= 0 && i < devices.Count ? new OpenClBackend(devices[i]) : throw new OpenClException($"no OpenCL device #{i}; 'edgenet-train devices' lists {devices.Count}");
        }

        var match = devices.FirstOrDefault(x => x.Name.Contains(selector, StringComparison.OrdinalIgnoreCase) || x.PlatformName.Contains(selector, StringComparison.OrdinalIgnoreCase));
        return match is not null ? new OpenClBackend(match) : throw new OpenClException($"no OpenCL device matches '{selector}'; 'edgenet-train devices' lists them");
    }

    private static string Source()
    {
        using var s = typeof(OpenClBackend).Assembly.GetManifestResourceStream("EdgeNet.Kernels.cl")
            ?? throw new OpenClException("the embedded Kernels.cl resource is missing from the trainer assembly");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    private nint Build(string source)
    {
        int err;
        byte[] src = Encoding.UTF8.GetBytes(source);
        nint program;
        fixed (byte* p = src)
        {
            byte* ps = p;
            nuint len = (nuint)src.Length;
            program = _cl.CreateProgramWithSource(_context, 1, &ps, &len, &err);
        }

        Check(err, "clCreateProgramWithSource");
        nint d = Device.Device;
        byte[] options = Encoding.ASCII.GetBytes("-cl-std=CL1.2 -cl-mad-enable\0");
        fixed (byte* o = options)
        {
            err = _cl.BuildProgram(program, 1, &d, o, null, null);
        }

        if (err != 0)
        {
            nuint size = 0;
            _cl.GetProgramBuildInfo(program, d, ProgramBuildInfo.BuildLog, 0, null, &size);
            var log = new byte[(int)size];
            fixed (byte* l = log)
            {
                _cl.GetProgramBuildInfo(program, d, ProgramBuildInfo.BuildLog, size, l, null);
            }

            throw new OpenClException($"clBuildProgram failed ({OpenClException.ErrorName(err)}) for Kernels.cl on {Device.Name}; build log:\n{Encoding.UTF8.GetString(log).TrimEnd('\0')}");
        }

        return program;
    }

    private void Check(int err, string call, string? kernel = null)
    {
        if (err != 0)
        {
            throw new OpenClException($"{call}{(kernel is null ? "" : $" (kernel {kernel})")} failed on {Device.Name}: {OpenClException.ErrorName(err)}");
        }
    }

    private nint Kernel(string name)
    {
        lock (_lock)
        {
            if (!_kernels.TryGetValue(name, out var k))
            {
                int err;
                byte[] n = Encoding.ASCII.GetBytes(name + "\0");
                fixed (byte* p = n)
                {
                    k = _cl.CreateKernel(_program, p, &err);
                }

                Check(err, "clCreateKernel", name);
                _kernels[name] = k;
            }

            return k;
        }
    }

    // ---- storage ---------------------------------------------------------------------------
    public Storage Allocate(int length, bool zero = false)
    {
        nint mem = 0;
        lock (_lock)
        {
            if (_pool.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                mem = stack.Pop();
            }
        }

        if (mem == 0)
        {
            int err;
            long bytes = Math.Max(4L, 4L * length);
            mem = _cl.CreateBuffer(_context, MemFlags.ReadWrite, (nuint)bytes, null, &err);
            if (err != 0)
            {
                throw new OpenClException($"clCreateBuffer of {bytes:N0} bytes failed on {Device.Name}: {OpenClException.ErrorName(err)}; " +
                    $"{AllocatedBytes:N0} bytes are held, the device has {Device.GlobalMemory:N0}. Lower the batch size or use a smaller model");
            }

            Interlocked.Add(ref _allocatedBytes, bytes);
        }

        var s = new OpenClStorage(this, length, mem);
        if (zero)
        {
            Fill(s, 0f);
        }

        return s;
    }

    internal void Return(OpenClStorage s)
    {
        if (_disposed)
        {
            _cl.ReleaseMemObject(s.Mem);
            return;
        }

        lock (_lock)
        {
            if (!_pool.TryGetValue(s.Length, out var stack))
            {
                _pool[s.Length] = stack = new Stack<nint>();
            }

            stack.Push(s.Mem);
        }
    }

    private static nint M(Storage s) => ((OpenClStorage)s).Mem;

    public void Upload(ReadOnlySpan<float> source, Storage destination, int offset = 0)
    {
        fixed (float* p = source)
        {
            Check(_cl.EnqueueWriteBuffer(_queue, M(destination), true, (nuint)(offset * 4L), (nuint)(source.Length * 4L), p, 0, null, null), "clEnqueueWriteBuffer");
        }
    }

    public void Download(Storage source, Span<float> destination, int offset = 0)
    {
        fixed (float* p = destination)
        {
            Check(_cl.EnqueueReadBuffer(_queue, M(source), true, (nuint)(offset * 4L), (nuint)(destination.Length * 4L), p, 0, null, null), "clEnqueueReadBuffer");
        }
    }

    public void Fill(Storage destination, float value)
    {
        if (destination.Length > 0)
        {
            Launch("fill", destination.Length, destination, value);
        }
    }

    public void Copy(Storage source, int sourceOffset, Storage destination, int destinationOffset, int length)
    {
        if (length > 0)
        {
            Check(_cl.EnqueueCopyBuffer(_queue, M(source), M(destination), (nuint)(sourceOffset * 4L), (nuint)(destinationOffset * 4L), (nuint)(length * 4L), 0, null, null), "clEnqueueCopyBuffer");
        }
    }

    // ---- launching ---------------------------------------------------------------------------
    private void SetArgs(nint k, string name, object[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            int err;
            switch (args[i])
            {
                case Storage s:
                {
                    nint m = M(s);
                    err = _cl.SetKernelArg(k, (uint)i, (nuint)sizeof(nint), &m);
                    break;
                }

                case int v:
                    err = _cl.SetKernelArg(k, (uint)i, sizeof(int), &v);
                    break;
                case float v:
                    err = _cl.SetKernelArg(k, (uint)i, sizeof(float), &v);
                    break;
                case ulong v:
                    err = _cl.SetKernelArg(k, (uint)i, sizeof(ulong), &v);
                    break;
                case bool v:
                {
                    int b = v ? 1 : 0;
                    err = _cl.SetKernelArg(k, (uint)i, sizeof(int), &b);
                    break;
                }

                default:
                    throw new ArgumentException($"kernel {name}: argument {i} of type {args[i]?.GetType().Name} is not supported");
            }

            Check(err, $"clSetKernelArg({i})", name);
        }
    }

    /// <summary>Runs a 1-D kernel over <paramref name="n"/> work-items.</summary>
    private void Launch(string name, int n, params object[] args)
    {
        if (n <= 0)
        {
            return;
        }

        nint k = Kernel(name);
        lock (_lock)
        {
            SetArgs(k, name, args);
            nuint global = (nuint)n;
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            Check(_cl.EnqueueNdrangeKernel(_queue, k, 1, null, &global, null, 0, null, null), "clEnqueueNDRangeKernel", name);
            Profile(name, t0);
        }
    }

    /// <summary>Shape label of the GEMM being launched, for the profile (EDGENET_CL_PROFILE=1).</summary>
    private string? _profileLabel;

    /// <summary>With EDGENET_CL_PROFILE=1, waits for each kernel and sums its time (printed at Dispose); GEMMs per shape.</summary>
    private void Profile(string name, long t0)
    {
        if (_profile is null)
        {
            return;
        }

        _cl.Finish(_queue);
        string key = _profileLabel is null ? name : $"{name} {_profileLabel}";
        var (ticks, calls) = _profile.GetValueOrDefault(key);
        _profile[key] = (ticks + System.Diagnostics.Stopwatch.GetTimestamp() - t0, calls + 1);
    }

    /// <summary>Runs a 2-D kernel (global rounded up to the local size when one is given).</summary>
    private void Launch2D(string name, int gx, int gy, int lx, int ly, params object[] args)
    {
        nint k = Kernel(name);
        lock (_lock)
        {
            SetArgs(k, name, args);
            nuint* global = stackalloc nuint[2];
            nuint* local = stackalloc nuint[2];
            global[0] = (nuint)(lx > 0 ? (gx + lx - 1) / lx * lx : gx);
            global[1] = (nuint)(ly > 0 ? (gy + ly - 1) / ly * ly : gy);
            local[0] = (nuint)lx;
            local[1] = (nuint)ly;
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            Check(_cl.EnqueueNdrangeKernel(_queue, k, 2, null, global, lx > 0 ? local : null, 0, null, null), "clEnqueueNDRangeKernel", name);
            Profile(name, t0);
        }
    }

    /// <summary>Waits for all queued work (used by benchmarks; reads block anyway).</summary>
    public void Finish() => Check(_cl.Finish(_queue), "clFinish");

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _cl.Finish(_queue);
        if (_profile is not null)
        {
            foreach (var (name, (ticks, calls)) in _profile.OrderByDescending(p => p.Value.Ticks))
            {
                Console.Error.WriteLine($"opencl profile: {name,-18} {calls,7} calls {ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency,10:F1} ms");
            }
        }

        foreach (var geometry in _geometries.Values)
        {
            geometry.Release();
        }

        foreach (var stack in _pool.Values)
        {
            foreach (var m in stack)
            {
                _cl.ReleaseMemObject(m);
            }
        }

        foreach (var k in _kernels.Values)
        {
            _cl.ReleaseKernel(k);
        }

        _cl.ReleaseProgram(_program);
        _cl.ReleaseCommandQueue(_queue);
        _cl.ReleaseContext(_context);
    }
}
