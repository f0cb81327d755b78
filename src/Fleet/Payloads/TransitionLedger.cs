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

    /// <summary>The board incarnations seen.</summary>
    public IReadOnlyCollection<(string Board, uint Incarnation)> Incarnations => _boards.Keys;

    /// <summary>True the first time (<paramref name="board"/>, <paramref name="sequence"/>) is offered; false for a duplicate.</summary>
    public bool Accept(string board, ulong sequence)
    {
        ArgumentNullException.ThrowIfNull(board);
        var key = (board, FleetSequence.Incarnation(sequence));
        if (!_boards.TryGetValue(key, out var b))
        {
            b = new Board { Next = sequence };
            _boards.Add(key, b);
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

    private sealed class Board
    {
        public ulong Next;
        public readonly HashSet<ulong> Ahead = [];
    }
}
