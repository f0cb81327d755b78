namespace EdgeNet.Runtime.Threading;

/// <summary>
/// What one operator's call works on: the arena it reads and writes, its planned scratch, the batch. Passed to every
/// chunk, so a kernel keeps no per-call state in fields and can run on several arenas at once (sub-batches).
/// </summary>
internal readonly unsafe struct Frame(byte* arena, byte* scratch, int batch)
{
    public byte* Arena { get; } = arena;

    public byte* Scratch { get; } = scratch;

    public int Batch { get; } = batch;
}

/// <summary>A unit of parallel work: Run(frame, chunk, chunks) does its share of one call.</summary>
internal interface IParallelWork
{
    void Run(in Frame frame, int chunk, int chunks);
}

/// <summary>
/// Fixed worker threads created at load, woken per parallel kernel; the caller runs chunk 0.
/// Allocation-free per call. With one thread (the default on a board) it runs inline. Between
/// <see cref="Enter"/> and <see cref="Leave"/> (an Invoke) the workers poll for the next chunk
/// instead of blocking, and the caller polls for their end: waking a blocked thread costs tens to
/// hundreds of microseconds (a futex, and on a VM the idle vCPU's wake-up), more than many of
/// MobileNet's operators take. Outside, a worker spins for <see cref="SpinMicroseconds"/> before it blocks.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    /// <summary>How long an idle worker polls for the next chunk before blocking.</summary>
    public const int SpinMicroseconds = 100;

    /// <summary>
    /// The multiply-adds below which a weighted operator's call runs on the caller alone: a few microseconds of work,
    /// about what handing half of it to another core costs in wake-up and in moving the data it reads between caches.
    /// MobileNetV2 α 0.35 at 96² on two threads: every convolution split, 317 µs (f32) and 233 (int8) per image against
    /// 187 and 160 on one thread; with the 47 of its 53 below 2^18 on the caller, 204–208 and 145–149.
    /// </summary>
    public const long MinParallelMacs = 1 << 18;

    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _start;
    private readonly int[] _asleep;
    private readonly CountdownEvent _done;
    private IParallelWork? _work;
    private Frame _frame;
    private int _generation;
    private int _pending;
    private volatile bool _busy;
    private volatile bool _stop;
    private readonly long _splitMacs;

    public WorkerPool(int threads, long splitMacs = MinParallelMacs)
    {
        Threads = Math.Max(1, threads);
        _splitMacs = splitMacs;
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

    /// <summary>
    /// Chunk <paramref name="chunk"/>'s share of <paramref name="n"/> elements split by ranges (an element-wise
    /// operator): [n·chunk/chunks, n·(chunk+1)/chunks) with both ends rounded down to whole 64-element blocks, the last
    /// chunk to the end.
    /// </summary>
    public static (int Start, int End) ElementRange(int n, int chunk, int chunks) =>
        ((int)((long)n * chunk / chunks) & ~63, chunk == chunks - 1 ? n : (int)((long)n * (chunk + 1) / chunks) & ~63);

    /// <summary>A pool of one: everything runs on the caller (a sub-batch's thread runs its operators through it).</summary>
    public static WorkerPool Inline { get; } = new(1);

    public int Threads { get; }

    /// <summary>
    /// Runs <paramref name="work"/> split between the threads when <paramref name="parallel"/> (the kernel's judgement
    /// that the call is worth splitting), else as one chunk on the caller.
    /// </summary>
    public void For(IParallelWork work, in Frame frame, bool parallel)
    {
        if (parallel)
        {
            For(work, frame);
        }
        else
        {
            work.Run(frame, 0, 1);
        }
    }

    /// <summary>
    /// Whether a call of <paramref name="macs"/> multiply-adds is worth splitting between the threads: at least
    /// <see cref="MinParallelMacs"/> (or the pool's own threshold: 0 where a test splits every call).
    /// </summary>
    public bool WorthSplitting(long macs) => macs >= _splitMacs;

    /// <summary>Runs chunk 0 of <paramref name="work"/> on the caller and chunks 1.. on the workers; returns when all have.</summary>
    public void For(IParallelWork work, in Frame frame)
    {
        if (Threads == 1)
        {
            work.Run(frame, 0, 1);
            return;
        }

        _work = work;
        _frame = frame;
        Volatile.Write(ref _pending, Threads - 1);
        _done.Reset(Threads - 1);
        Wake();
        work.Run(frame, 0, Threads);
        if (_busy)
        {
            var spin = default(SpinWait);
            while (Volatile.Read(ref _pending) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        _done.Wait();
        _work = null;
    }

    /// <summary>An Invoke begins: until <see cref="Leave"/> the workers poll instead of blocking.</summary>
    public void Enter()
    {
        if (Threads > 1)
        {
            _busy = true;
        }
    }

    /// <summary>The Invoke has ended: idle workers block again after their short spin.</summary>
    public void Leave() => _busy = false;

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
            while (Volatile.Read(ref _generation) == seen)
            {
                long now = System.Diagnostics.Stopwatch.GetTimestamp();
                if (_busy)
                {
                    until = now + spin;
                }
                else if (now >= until)
                {
                    break;
                }

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
                _work!.Run(_frame, id, Threads);
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
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
