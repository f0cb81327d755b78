namespace EdgeNet.Trainer.Backends.OpenCL;

/// <summary>A failed OpenCL call: names the call, the error code's name and the kernel.</summary>
public sealed class OpenClException : Exception
{
    /// <summary>An OpenCL failure described by <paramref name="message"/> (the call and the error's name).</summary>
    public OpenClException(string message) : base(message) { }

    /// <summary>An OpenCL failure.</summary>
    public OpenClException() { }

    /// <summary>An OpenCL failure caused by <paramref name="inner"/>.</summary>
    public OpenClException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The name of an OpenCL error code, e.g. <c>CL_OUT_OF_RESOURCES</c> for -5.</summary>
    public static string ErrorName(int code) => code switch
    {
        -1 => "CL_DEVICE_NOT_FOUND",
        -2 => "CL_DEVICE_NOT_AVAILABLE",
        -3 => "CL_COMPILER_NOT_AVAILABLE",
        -4 => "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        -5 => "CL_OUT_OF_RESOURCES",
        -6 => "CL_OUT_OF_HOST_MEMORY",
        -11 => "CL_BUILD_PROGRAM_FAILURE",
        -30 => "CL_INVALID_VALUE",
        -33 => "CL_INVALID_DEVICE",
        -34 => "CL_INVALID_CONTEXT",
        -36 => "CL_INVALID_COMMAND_QUEUE",
        -38 => "CL_INVALID_MEM_OBJECT",
        -44 => "CL_INVALID_PROGRAM",
        -45 => "CL_INVALID_PROGRAM_EXECUTABLE",
        -46 => "CL_INVALID_KERNEL_NAME",
        -48 => "CL_INVALID_KERNEL",
        -49 => "CL_INVALID_ARG_INDEX",
        -50 => "CL_INVALID_ARG_VALUE",
        -51 => "CL_INVALID_ARG_SIZE",
        -52 => "CL_INVALID_KERNEL_ARGS",
        -53 => "CL_INVALID_WORK_DIMENSION",
        -54 => "CL_INVALID_WORK_GROUP_SIZE",
        -55 => "CL_INVALID_WORK_ITEM_SIZE",
        -61 => "CL_INVALID_BUFFER_SIZE",
        -1001 => "CL_PLATFORM_NOT_FOUND_KHR (no OpenCL platform: install an ICD, e.g. pocl-opencl-icd)",
        _ => $"CL error {code}",
    };
}
