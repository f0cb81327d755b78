namespace EdgeNet.Runtime.Interpreter;

/// <summary>A unit of parallel work: Run(chunk, chunks) does its share.</summary>
internal interface IParallelWork
{
    void Run(int chunk, int chunks);
}

/// <summary>
/// Fixed worker threads created at load, woken per parallel kernel; the caller runs chunk 0.
/// Allocation-free per call. With one thread (the default on a board) it runs inline.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _start;
    private readonly CountdownEvent _done;
    private IParallelWork? _work;
    private volatile bool _stop;

    public WorkerPool(int threads)
    {
        Threads = Math.Max(1, threads);
        _workers = new Thread[Threads - 1];
        _start = new SemaphoreSlim[Threads - 1];
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
        foreach (var s in _start)
        {
            s.Release();
        }

        work.Run(0, Threads);
        _done.Wait();
        _work = null;
    }

    private void Loop(int id)
    {
        while (true)
        {
            _start[id - 1].Wait();
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
