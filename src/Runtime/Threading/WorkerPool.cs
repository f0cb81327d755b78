namespace EdgeNet.Runtime.Threading;

/// <summary>A unit of parallel work: Run(chunk, chunks) does its share.</summary>
internal interface IParallelWork
{
    void Run(int chunk, int chunks);
}

/// <summary>
/// Fixed worker threads created at load, woken per parallel kernel; the caller runs chunk 0.
/// Allocation-free per call. With one thread (the default on a board) it runs inline. A worker
/// spins for a short while (<see cref="SpinMicroseconds"/>) after its chunk before it blocks, so
/// the next operator of the same Invoke starts it without a futex wake-up.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    /// <summary>How long an idle worker polls for the next chunk before blocking.</summary>
    public const int SpinMicroseconds = 100;

    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _start;
    private readonly int[] _asleep;
    private readonly CountdownEvent _done;
    private IParallelWork? _work;
    private int _generation;
    private volatile bool _stop;

    public WorkerPool(int threads)
    {
        Threads = Math.Max(1, threads);
        _workers = new Thread[Threads - 1];
        _start = new SemaphoreSlim[Threads - 1];
        _asleep = new int[Threads - 1];
        _done = new CountdownEvent(1);
        for (int i = 0; i < _workers.Length; i++)
        {
            int id = i + 1;
            _start[i] = new SemaphoreSlim(0);
            _workers[i] = new Thread(() => Loop(id)) { IsBackground = true, Name = $"edgenet-worker-{id}" };
            _workers[i].Start();
        }
    }

    public int Threads { get; }

    public void For(IParallelWork work)
    {
        if (Threads == 1)
        {
            work.Run(0, 1);
            return;
        }

        _work = work;
        _done.Reset(Threads - 1);
        Wake();
        work.Run(0, Threads);
        _done.Wait();
        _work = null;
    }

    /// <summary>Publishes a new generation; releases the workers that went to sleep (full fences on both sides).</summary>
    private void Wake()
    {
        Interlocked.Increment(ref _generation);
        for (int i = 0; i < _start.Length; i++)
        {
            if (Volatile.Read(ref _asleep[i]) == 1)
            {
                _start[i].Release();
            }
        }
    }

    private void Loop(int id)
    {
        int seen = 0;
        long spin = System.Diagnostics.Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
        while (true)
        {
            long until = System.Diagnostics.Stopwatch.GetTimestamp() + spin;
            while (Volatile.Read(ref _generation) == seen && System.Diagnostics.Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(8);
            }

            while (Volatile.Read(ref _generation) == seen)
            {
                // Announce the sleep, then look once more: Wake() either sees the flag or its new
                // generation is seen here (an extra release only costs one spurious turn).
                Interlocked.Exchange(ref _asleep[id - 1], 1);
                if (Volatile.Read(ref _generation) == seen)
                {
                    _start[id - 1].Wait();
                }

                Interlocked.Exchange(ref _asleep[id - 1], 0);
            }

            seen++;
            if (_stop)
            {
                return;
            }

            try
            {
                _work!.Run(id, Threads);
            }
            finally
            {
                _done.Signal();
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        Interlocked.Increment(ref _generation);
        foreach (var s in _start)
        {
            s.Release();
        }

        foreach (var t in _workers)
        {
            t.Join();
        }

        foreach (var s in _start)
        {
            s.Dispose();
        }

        _done.Dispose();
    }
}
