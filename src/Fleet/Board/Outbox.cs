using EdgeNet.Fleet.Topics;
using EdgeNet.Fleet.Transport;

namespace EdgeNet.Fleet.Board;

/// <summary>One encoded batch waiting to be sent: its sequences and payload.</summary>
/// <param name="FirstSequence">The sequence of its first transition.</param>
/// <param name="Count">Its transitions.</param>
/// <param name="ModelVersion">The model they were acted with.</param>
/// <param name="Payload">The transition batch payload.</param>
public sealed record OutgoingBatch(ulong FirstSequence, int Count, uint ModelVersion, byte[] Payload);

/// <summary>
/// A board's bounded queue of transition batches between the control loop and the network: the loop only enqueues (never
/// waits), <see cref="RunAsync"/> sends them in order with QoS 1 and keeps a batch until the broker accepted it, retrying
/// after a reconnect (a batch whose acknowledgement was lost is sent again with the same sequences; the learner's ledger
/// drops the copy). When the network is away longer than the queue holds, the oldest batches are dropped and counted — the
/// loop keeps its period rather than its memory growing.
/// </summary>
public sealed class Outbox : IDisposable
{
    private readonly LinkedList<OutgoingBatch> _queue = new();
    private OutgoingBatch? _inFlight;   // the head while it is being sent: never dropped (the broker may already have it)
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _ready = new(0);

    /// <summary>A queue for <paramref name="board"/> holding at most <paramref name="capacity"/> batches.</summary>
    public Outbox(string board, int capacity)
    {
        Topic = FleetTopics.Transitions(board);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);   // the batch in flight and one more
        Capacity = capacity;
    }

    /// <summary>The board's transitions topic.</summary>
    public string Topic { get; }

    /// <summary>The most batches held.</summary>
    public int Capacity { get; }

    /// <summary>Batches waiting now.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Transitions the broker accepted.</summary>
    public long Accepted { get; private set; }

    /// <summary>Transitions dropped because the queue was full (the network away too long).</summary>
    public long Dropped { get; private set; }

    /// <summary>Transitions the broker refused (its ACL: the board's user may not write its topic).</summary>
    public long Refused { get; private set; }

    /// <summary>Sends that did not get through and were tried again.</summary>
    public long Retries { get; private set; }

    /// <summary>The sequence of the last transition accepted.</summary>
    public ulong LastAccepted { get; private set; }

    /// <summary>The last error a publish or a handler raised (the sender carries on), or null.</summary>
    public string? LastError { get; private set; }

    /// <summary>Raised on the sending task after the broker accepted a batch (a board's log of what it delivered).</summary>
    public event Action<OutgoingBatch>? BatchAccepted;

    /// <summary>Raised after the broker refused a batch (it is dropped: the ACL will not change for a retry).</summary>
    public event Action<OutgoingBatch>? BatchRefused;

    // A handler that throws (a log on a full disk) must not stop the sending: the error is kept and the batches go on.
    private void Notify(Action<OutgoingBatch>? handlers, OutgoingBatch batch)
    {
        try
        {
            handlers?.Invoke(batch);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LastError = e.Message;
        }
    }

    /// <summary>Releases the wake-up signal.</summary>
    public void Dispose() => _ready.Dispose();

    /// <summary>Queues a batch; never blocks (the oldest batch goes when the queue is full).</summary>
    public void Enqueue(OutgoingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_gate)
        {
            if (_queue.Count == Capacity)
            {
                var oldest = _queue.First!;
                if (ReferenceEquals(oldest.Value, _inFlight) && oldest.Next is not null)
                {
                    oldest = oldest.Next;
                }

                Dropped += oldest.Value.Count;
                _queue.Remove(oldest);
            }

            _queue.AddLast(batch);
        }

        _ready.Release();
    }

    /// <summary>
    /// Sends the queued batches in order until <paramref name="stop"/>, then whatever is left for up to
    /// <paramref name="drainFor"/> (a board shutting down cleanly sends what it has).
    /// </summary>
    public async Task RunAsync(Func<string, byte[], CancellationToken, Task<FleetPublishOutcome>> publish, CancellationToken stop, TimeSpan drainFor = default)
    {
        ArgumentNullException.ThrowIfNull(publish);
        using var drain = new CancellationTokenSource();
        using var link = stop.Register(() => drain.CancelAfter(drainFor));
        while (!drain.IsCancellationRequested)
        {
            OutgoingBatch? next;
            lock (_gate)
            {
                next = _inFlight = _queue.First?.Value;
            }

            if (next is null)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                try
                {
                    await _ready.WaitAsync(TimeSpan.FromMilliseconds(200), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // stopping: drain what is queued below
                }

                continue;
            }

            FleetPublishOutcome outcome;
            try
            {
                outcome = await publish(Topic, next.Payload, drain.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (drain.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A connection torn down under the publish (MQTTnet may throw more than its communication exceptions then):
                // the batch stays and goes again after the reconnect; the sender never dies of it.
                LastError = e.Message;
                outcome = FleetPublishOutcome.NotSent;
            }

            if (outcome == FleetPublishOutcome.NotSent)
            {
                Retries++;
                try
                {
                    await Task.Delay(100, drain.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            lock (_gate)
            {
                _queue.RemoveFirst();   // the head: a batch in flight is never dropped
                _inFlight = null;
            }

            if (outcome == FleetPublishOutcome.Accepted)
            {
                Accepted += next.Count;
                LastAccepted = next.FirstSequence + (ulong)next.Count - 1;
                Notify(BatchAccepted, next);
            }
            else
            {
                Refused += next.Count;
                Notify(BatchRefused, next);
            }
        }
    }
}
