using EdgeNet.Deploy.Service;
using EdgeNet.Rig.CartPole;
using EdgeNet.Rig.Control;

namespace EdgeNet.Runtime.Cli;

/// <summary>
/// A rig command run as a service: READY once the rig and model are open, WATCHDOG from the control loop's ticks
/// (half the unit's <c>WatchdogSec=</c>; a stalled loop stops them), STOPPING on the way out; and the loop's thread
/// at real-time priority when asked (<c>--realtime-priority</c>). Nothing happens outside systemd.
/// </summary>
internal sealed class ServiceLoop : IDisposable
{
    private readonly GpioCartPoleRig _rig;
    private readonly SdNotify? _notify;
    private readonly WatchdogPacer? _pacer;

    private ServiceLoop(GpioCartPoleRig rig, SdNotify? notify, WatchdogPacer? pacer) => (_rig, _notify, _pacer) = (rig, notify, pacer);

    /// <summary>Call on the control loop's thread, after the rig and model opened.</summary>
    public static ServiceLoop Attach(GpioCartPoleRig rig, string what, int realtimePriority)
    {
        if (realtimePriority > 0)
        {
            RealTimeThread.Raise(realtimePriority);
        }

        var notify = SdNotify.FromEnvironment();
        var pacer = notify?.WatchdogTimeout is null ? null : new WatchdogPacer(notify);
        if (pacer is not null)
        {
            rig.Ticked += pacer.Tick;
        }

        notify?.Ready(what);
        return new ServiceLoop(rig, notify, pacer);
    }

    public void Dispose()
    {
        if (_pacer is not null)
        {
            _rig.Ticked -= _pacer.Tick;
        }

        _notify?.Stopping("motor off, leaving the control loop");
        _notify?.Dispose();
    }
}
