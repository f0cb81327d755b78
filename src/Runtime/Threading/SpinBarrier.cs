namespace EdgeNet.Runtime.Threading;

/// <summary>
/// A reusable barrier for the chunks of one <see cref="WorkerPool.For(IParallelWork, in Frame)"/> call that must meet
/// many times inside it (the LSTM's steps): a counter and a generation, spinning briefly and then
/// yielding (SpinWait), allocation-free. Every chunk must call it the same number of times.
/// </summary>
internal sealed class SpinBarrier
{
    private int _arrived;
    private volatile int _generation;

    public void SignalAndWait(int parties)
    {
        int gen = _generation;
        if (Interlocked.Increment(ref _arrived) == parties)
        {
            _arrived = 0;
            _generation = gen + 1;
            return;
        }

        var spin = default(SpinWait);
        while (_generation == gen)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
