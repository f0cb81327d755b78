using System.Net.Sockets;
using System.Text;
using EdgeNet.Deploy.Service;

namespace EdgeNet.Deploy.Tests;

/// <summary>sd_notify as systemd receives it: datagrams on the socket in NOTIFY_SOCKET; WATCHDOG paced by the loop's ticks.</summary>
[TestClass]
public sealed class SdNotifyTests
{
    private static List<string> Drain(Socket s)
    {
        var got = new List<string>();
        var buffer = new byte[4096];
        while (got.Count < 1000 && s.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectRead))
        {
            int n = s.Receive(buffer);
            got.Add(Encoding.UTF8.GetString(buffer, 0, n));
        }

        return got;
    }

    [TestMethod]
    public void Watchdog_pings_follow_the_loop_ticks_at_half_the_timeout_and_stop_when_the_loop_stalls()
    {
        // The abstract namespace ('@name'), as systemd hands it to services.
        string name = "edgenet-test-" + Guid.NewGuid().ToString("N");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint("\0" + name));
        var env = new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = "@" + name, ["WATCHDOG_USEC"] = "2000000", ["WATCHDOG_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        using var notify = SdNotify.FromEnvironment(k => env.GetValueOrDefault(k))!;
        Assert.AreEqual(TimeSpan.FromSeconds(2), notify.WatchdogTimeout);
        notify.Ready("rig open");
        var pacer = new WatchdogPacer(notify);
        var got = new List<string>();
        for (int tick = 0; tick <= 500; tick++)
        {
            pacer.Tick(tick / 50.0); // 10 s of a 50 Hz loop: a ping at 0, 1, 2, ... 10 s
            if (tick % 200 == 0)
            {
                got.AddRange(Drain(listener)); // systemd reads as they come (the socket's queue holds 10)
            }
        }

        got.AddRange(Drain(listener));
        Assert.AreEqual("READY=1\nSTATUS=rig open", got[0]);
        Assert.AreEqual(11, got.Count(m => m == "WATCHDOG=1"), string.Join(" | ", got));

        Thread.Sleep(1500); // the loop stalls: time passes, no tick
        Assert.IsEmpty(Drain(listener), "no WATCHDOG while the loop does not tick, so systemd's watchdog fires");
        pacer.Tick(12.5);
        notify.Stopping("bye");
        CollectionAssert.AreEqual(new[] { "WATCHDOG=1", "STOPPING=1\nSTATUS=bye" }, Drain(listener));
    }

    [TestMethod]
    public void A_service_manager_that_does_not_read_never_blocks_the_loop()
    {
        string name = "edgenet-test-" + Guid.NewGuid().ToString("N");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint("\0" + name));
        var env = new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = "@" + name, ["WATCHDOG_USEC"] = "20000" };
        using var notify = SdNotify.FromEnvironment(k => env.GetValueOrDefault(k))!;
        var pacer = new WatchdogPacer(notify);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int tick = 0; tick < 1000; tick++)
        {
            pacer.Tick(tick / 50.0); // a ping every tick; nobody reads: the queue (10 datagrams) fills at once
        }

        Assert.AreEqual(1000, pacer.Sent);
        Assert.IsLessThan(5, clock.Elapsed.TotalSeconds, "the sends after the queue filled were dropped, not waited on");
        int queued = Drain(listener).Count;
        Assert.IsTrue(queued is 10 or 11, $"{queued}: what fitted the queue (net.unix.max_dgram_qlen = 10; Linux lets one more in)");
    }

    [TestMethod]
    public void No_socket_means_no_notifier_and_a_watchdog_for_another_process_is_not_ours()
    {
        Assert.IsNull(SdNotify.FromEnvironment(_ => null));
        var env = new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = "/run/systemd/notify", ["WATCHDOG_USEC"] = "5000000", ["WATCHDOG_PID"] = "1" };
        using var notify = SdNotify.FromEnvironment(k => env.GetValueOrDefault(k))!;
        Assert.IsNull(notify.WatchdogTimeout, "WATCHDOG_PID names another process");
        Assert.ThrowsExactly<ArgumentException>(() => new WatchdogPacer(notify));
    }
}
