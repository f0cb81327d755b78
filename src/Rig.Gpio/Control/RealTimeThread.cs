using System.Runtime.InteropServices;
using EdgeNet.Rig.Devices;

namespace EdgeNet.Rig.Control;

/// <summary>
/// Raises the calling thread — the control loop's, not the process: the GC's and the runtime's threads must not
/// inherit SCHED_FIFO and starve the loop's own allocations' collector — to real-time FIFO priority (Linux
/// <c>sched_setscheduler</c> on thread id 0 = the calling thread). Needs <c>LimitRTPRIO=</c> in the unit (or root).
/// </summary>
public static partial class RealTimeThread
{
    private const int SchedFifo = 1;
    private const int EPERM = 1;

    /// <summary>Puts the calling thread under SCHED_FIFO at <paramref name="priority"/> (1-99); a refusal names the fix.</summary>
    public static void Raise(int priority)
    {
        if (priority is < 1 or > 99)
        {
            throw new ArgumentOutOfRangeException(nameof(priority), priority, "--realtime-priority takes 1..99 (0: leave the loop at normal priority)");
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("real-time priority is Linux's SCHED_FIFO: run on the board");
        }

        var param = new SchedParam { Priority = priority };
        if (sched_setscheduler(0, SchedFifo, ref param) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new RigHardwareException(errno == EPERM
                ? $"--realtime-priority {priority}: not permitted (EPERM): the service unit needs LimitRTPRIO={priority} or more (edgenet's unit has 50); by hand: run as root or 'ulimit -r {priority}'"
                : $"--realtime-priority {priority}: sched_setscheduler failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    /// <summary>The calling thread's scheduling policy (0 normal, 1 FIFO).</summary>
    public static int CurrentPolicy() => OperatingSystem.IsLinux() ? sched_getscheduler(0) : 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, ref SchedParam param);

    [LibraryImport("libc", EntryPoint = "sched_getscheduler", SetLastError = true)]
    private static partial int sched_getscheduler(int pid);
}
