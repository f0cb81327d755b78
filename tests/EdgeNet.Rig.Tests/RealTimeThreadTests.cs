using EdgeNet.Rig.Control;
using EdgeNet.Rig.Devices;

namespace EdgeNet.Rig.Tests;

/// <summary>--realtime-priority raises the control loop's thread to SCHED_FIFO, and only that thread.</summary>
[TestClass]
public sealed class RealTimeThreadTests
{
    [TestMethod]
    public void Only_the_calling_thread_becomes_fifo()
    {
        int loopPolicy = -1;
        string? refused = null;
        var loop = new Thread(() =>
        {
            try
            {
                RealTimeThread.Raise(5);
                loopPolicy = RealTimeThread.CurrentPolicy();
            }
            catch (RigHardwareException e)
            {
                refused = e.Message;
            }
        });
        loop.Start();
        loop.Join();
        // The tests run as root (CI and ./build.sh test); a user without RLIMIT_RTPRIO gets the refusal the unit's LimitRTPRIO= fixes.
        Assert.IsNull(refused, $"SCHED_FIFO was refused to the tests' user (run them as root, or with 'ulimit -r 5'): {refused}");

        Assert.AreEqual(1, loopPolicy, "the loop's thread runs SCHED_FIFO");
        Assert.AreEqual(0, RealTimeThread.CurrentPolicy(), "the test's own thread is untouched");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RealTimeThread.Raise(0));
    }
}
