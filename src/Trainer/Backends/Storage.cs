namespace EdgeNet.Trainer.Backends;

/// <summary>
/// A device buffer of floats owned by one backend. Reference-counted so reshaped views can share
/// it; the last release returns it to the backend's pool.
/// </summary>
internal abstract class Storage
{
    private int _refs = 1;

    protected Storage(IBackend backend, int length)
    {
        Backend = backend;
        Length = length;
    }

    public IBackend Backend { get; }

    /// <summary>Elements in use (the pooled buffer may be larger).</summary>
    public int Length { get; }

    public bool IsReleased => Volatile.Read(ref _refs) <= 0;

    internal void AddRef()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
        {
            throw new ObjectDisposedException(nameof(Storage), "the tensor's buffer was already released (was the tensor used after its TensorScope ended?)");
        }
    }

    internal void Release()
    {
        int left = Interlocked.Decrement(ref _refs);
        if (left == 0)
        {
            Free();
        }
    }

    /// <summary>Returns the buffer to the backend's pool.</summary>
    protected abstract void Free();
}
