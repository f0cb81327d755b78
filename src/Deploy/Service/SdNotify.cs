using System.Net.Sockets;
using System.Text;

namespace EdgeNet.Deploy.Service;

/// <summary>
/// systemd's notification protocol, spoken directly (no libsystemd on the board needed): datagrams of
/// <c>KEY=VALUE</c> lines to the socket in <c>$NOTIFY_SOCKET</c> (a path, or <c>@name</c> in the abstract namespace).
/// <c>READY=1</c> when the service works, <c>WATCHDOG=1</c> from the control loop, <c>STOPPING=1</c> on the way out.
/// </summary>
public sealed class SdNotify : IDisposable
{
    private static readonly byte[] WatchdogMessage = Encoding.UTF8.GetBytes("WATCHDOG=1"); // sent from the control loop: no allocation there

    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endPoint;

    private SdNotify(string address, TimeSpan? watchdog)
    {
        // An address starting with '@' is in Linux's abstract namespace: a leading NUL byte.
        _endPoint = new UnixDomainSocketEndPoint(address.StartsWith('@') ? "\0" + address[1..] : address);
        // Non-blocking: a datagram socket's queue is short (net.unix.max_dgram_qlen, 10 by default) and a blocking send
        // to a service manager that is not reading would stall the control loop; a message that does not fit is dropped.
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
        WatchdogTimeout = watchdog;
    }

    /// <summary>The service manager's watchdog timeout (<c>WatchdogSec=</c>), or null when none is set for this process.</summary>
    public TimeSpan? WatchdogTimeout { get; }

    /// <summary>
    /// The notifier systemd set up for this process (<c>NOTIFY_SOCKET</c>; <c>WATCHDOG_USEC</c> when <c>WATCHDOG_PID</c>
    /// is unset or names this process), or null when not run by systemd with <c>Type=notify</c>.
    /// </summary>
    public static SdNotify? FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="FromEnvironment()"/>, reading the variables through <paramref name="variable"/>.</summary>
    internal static SdNotify? FromEnvironment(Func<string, string?> variable)
    {
        string? socket = variable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(socket))
        {
            return null;
        }

        TimeSpan? watchdog = null;
        string? pid = variable("WATCHDOG_PID");
        if (long.TryParse(variable("WATCHDOG_USEC"), out long usec) && usec > 0
            && (string.IsNullOrEmpty(pid) || pid == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            watchdog = TimeSpan.FromMicroseconds(usec);
        }

        return new SdNotify(socket, watchdog);
    }

    /// <summary>The service is up (systemd's start job completes: <c>Type=notify</c>).</summary>
    public void Ready(string status) => Send($"READY=1\nSTATUS={status}");

    /// <summary>A status line for <c>systemctl status</c>.</summary>
    public void Status(string status) => Send($"STATUS={status}");

    /// <summary>The service is shutting down on purpose.</summary>
    public void Stopping(string status) => Send($"STOPPING=1\nSTATUS={status}");

    /// <summary>Keeps systemd's watchdog from firing; only the control loop calls this (through <see cref="WatchdogPacer"/>).</summary>
    public void Watchdog() => Send(WatchdogMessage);

    private void Send(string message) => Send(Encoding.UTF8.GetBytes(message));

    private void Send(byte[] message)
    {
        try
        {
            _socket.SendTo(message, _endPoint);
        }
        catch (SocketException)
        {
            // systemd gone (shutdown), its queue full, or the socket not ours: the loop must not stop or wait for it.
        }
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose() => _socket.Dispose();
}

/// <summary>
/// Sends <c>WATCHDOG=1</c> at half the watchdog timeout, from wherever <see cref="Tick"/> is called: the control loop
/// calls it every tick with the loop's clock, so a loop that stalls stops the pings and systemd restarts the service
/// (a timer thread would keep pinging over a dead loop).
/// </summary>
public sealed class WatchdogPacer
{
    private readonly SdNotify _notify;
    private readonly double _interval;
    private double _last = double.NegativeInfinity;

    /// <summary>A pacer for <paramref name="notify"/>'s watchdog (which must have one).</summary>
    public WatchdogPacer(SdNotify notify)
    {
        ArgumentNullException.ThrowIfNull(notify);
        var timeout = notify.WatchdogTimeout ?? throw new ArgumentException("the service has no watchdog (WATCHDOG_USEC unset)", nameof(notify));
        (_notify, _interval) = (notify, timeout.TotalSeconds / 2);
    }

    /// <summary>Pings sent so far.</summary>
    public int Sent { get; private set; }

    /// <summary>A control-loop tick at <paramref name="now"/> [s]: pings when half the timeout has passed since the last.</summary>
    public void Tick(double now)
    {
        if (now - _last >= _interval)
        {
            _notify.Watchdog();
            _last = now;
            Sent++;
        }
    }
}
