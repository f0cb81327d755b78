namespace EdgeNet.Fleet.Payloads;

/// <summary>
/// The learner's record of which (board, sequence) it has stored: at-least-once delivery (QoS 1, a broker restart, a
/// board re-sending after a reconnect) may bring a transition twice, and it must enter the replay once. Per board
/// incarnation (<see cref="FleetSequence"/>: a restarted board counts anew under a new incarnation), every sequence below
/// a watermark has been seen; later ones that arrived early are kept until the gap before them fills, so the memory is
/// the reordering window, not the run. An incarnation's first sequence seen starts its count (MQTT keeps one client's
/// QoS 1 messages on a topic in order, so the first to arrive is its lowest).
/// </summary>
public sealed class TransitionLedger
{
    private readonly Dictionary<(string Board, uint Incarnation), Board> _boards = [];

    /// <summary>Transitions accepted (stored once).</summary>
    public long Accepted { get; private set; }

    /// <summary>Transitions dropped as already stored.</summary>
    public long Duplicates { get; private set; }

    /// <summary>Sequences given up as lost: a gap that stayed open past <see cref="MaxAhead"/> later arrivals (a broker that dropped queued messages), skipped so the memory stays bounded.</summary>
    public long GivenUp { get; private set; }

    /// <summary>The most sequences kept ahead of a gap per incarnation; past it the gap is declared lost.</summary>
    public int MaxAhead { get; init; } = 100_000;

    /// <summary>The most incarnations remembered per board (a board restarting often, or forging incarnations): the oldest is forgotten.</summary>
    public int MaxIncarnations { get; init; } = 8;

    /// <summary>The board incarnations seen.</summary>
    public IReadOnlyCollection<(string Board, uint Incarnation)> Incarnations => _boards.Keys;

    /// <summary>True the first time (<paramref name="board"/>, <paramref name="sequence"/>) is offered; false for a duplicate.</summary>
    public bool Accept(string board, ulong sequence)
    {
        ArgumentNullException.ThrowIfNull(board);
        var key = (board, FleetSequence.Incarnation(sequence));
        if (!_boards.TryGetValue(key, out var b))
        {
            b = new Board { Next = sequence, Order = ++_created };
            _boards.Add(key, b);
            Forget(board);
        }

        bool fresh;
        if (sequence < b.Next)
        {
            fresh = false;
        }
        else if (sequence == b.Next)
        {
            fresh = true;
            b.Next++;
            while (b.Ahead.Remove(b.Next))
            {
                b.Next++;
            }
        }
        else
        {
            fresh = b.Ahead.Add(sequence);
            if (b.Ahead.Count > MaxAhead)
            {
                // The gap is not coming: skip to the oldest kept sequence and drain what is contiguous from there.
                ulong min = ulong.MaxValue;
                foreach (ulong s in b.Ahead)
                {
                    min = Math.Min(min, s);
                }

                GivenUp += (long)(min - b.Next);
                b.Next = min;
                while (b.Ahead.Remove(b.Next))
                {
                    b.Next++;
                }
            }
        }

        if (fresh)
        {
            Accepted++;
        }
        else
        {
            Duplicates++;
        }

        return fresh;
    }

    /// <summary>Every sequence of <paramref name="board"/>'s <paramref name="incarnation"/> below this one has been accepted (0 for one not seen).</summary>
    public ulong Watermark(string board, uint incarnation) => _boards.TryGetValue((board, incarnation), out var b) ? b.Next : 0;

    private long _created;

    // Keeps the board's newest MaxIncarnations incarnations.
    private void Forget(string board)
    {
        int count = 0;
        (string, uint)? oldest = null;
        long oldestOrder = long.MaxValue;
        foreach (var (key, b) in _boards)
        {
            if (key.Board == board)
            {
                count++;
                if (b.Order < oldestOrder)
                {
                    (oldest, oldestOrder) = (key, b.Order);
                }
            }
        }

        if (count > MaxIncarnations && oldest is { } k)
        {
            _boards.Remove(k);
        }
    }

    private sealed class Board
    {
        public ulong Next;
        public long Order;
        public readonly HashSet<ulong> Ahead = [];
    }
}
