using System.Buffers.Binary;
using System.Text;
using EdgeNet.Fleet.Topics;

namespace EdgeNet.Fleet.Payloads;

/// <summary>
/// Writes a <see cref="TransitionBatch"/> payload transition by transition into one buffer sized at creation, so a board's
/// control loop records a tick without allocating (docs/fleet.md's layout, version 1): <see cref="Begin"/>, then
/// <see cref="Add"/> per tick, then <see cref="Finish"/> copies the payload out (one array per batch).
/// </summary>
public sealed class TransitionBatchWriter
{
    private readonly byte[] _buffer;
    private readonly byte[] _id;
    private readonly int _header;
    private readonly int _record;

    /// <summary>A writer for <paramref name="board"/>'s batches of up to <paramref name="capacity"/> transitions of <paramref name="observationSize"/> values.</summary>
    /// <exception cref="ArgumentException">A bad board id, an observation size outside 1..1024 or a capacity outside 1..65,536 (or over 64 MiB).</exception>
    public TransitionBatchWriter(string board, int observationSize, int capacity)
    {
        FleetTopics.CheckBoard(board);
        if (observationSize is < 1 or > TransitionBatch.MaxObservation || capacity is < 1 or > TransitionBatch.MaxTransitions || (long)capacity * RecordBytes(observationSize) > TransitionBatch.MaxBytes)
        {
            throw new ArgumentException($"a batch holds 1..{TransitionBatch.MaxTransitions} transitions of observations of 1..{TransitionBatch.MaxObservation} values, {TransitionBatch.MaxBytes:N0} bytes at most; got {capacity} of {observationSize}");
        }

        Board = board;
        ObservationSize = observationSize;
        Capacity = capacity;
        _id = Encoding.UTF8.GetBytes(board);
        _header = HeaderBytes(_id.Length);
        _record = RecordBytes(observationSize);
        _buffer = new byte[_header + (capacity * _record)];
    }

    /// <summary>The board whose batches these are.</summary>
    public string Board { get; }

    /// <summary>F, the length of every observation.</summary>
    public int ObservationSize { get; }

    /// <summary>The most transitions one batch holds.</summary>
    public int Capacity { get; }

    /// <summary>Transitions added since <see cref="Begin"/>.</summary>
    public int Count { get; private set; }

    /// <summary>The sequence of the batch's first transition.</summary>
    public ulong FirstSequence { get; private set; }

    /// <summary>The model version the batch's transitions were acted with.</summary>
    public uint ModelVersion { get; private set; }

    /// <summary>True when no more transitions fit.</summary>
    public bool IsFull => Count == Capacity;

    /// <summary>Starts a batch whose first transition is <paramref name="firstSequence"/>, acted with <paramref name="modelVersion"/>.</summary>
    public void Begin(ulong firstSequence, uint modelVersion)
    {
        (FirstSequence, ModelVersion, Count) = (firstSequence, modelVersion, 0);
    }

    /// <summary>Appends one transition (s, a, r, s′, flags).</summary>
    /// <exception cref="InvalidOperationException">The batch is full.</exception>
    /// <exception cref="ArgumentException">An observation of another length, or a non-finite value (it would be NaN in the learner's gradients).</exception>
    public void Add(ReadOnlySpan<float> observation, int action, float reward, ReadOnlySpan<float> next, bool terminated, bool truncated)
    {
        if (IsFull)
        {
            throw new InvalidOperationException($"the batch already holds its {Capacity} transitions: Finish it first");
        }

        int f = ObservationSize;
        if (observation.Length != f || next.Length != f)
        {
            throw new ArgumentException($"transition {Count} has observations of {observation.Length} and {next.Length} values; the batch's are {f}");
        }

        var s = _buffer.AsSpan(_header + (Count * _record), _record);
        int at = Floats(s, 0, observation, "observation");
        BinaryPrimitives.WriteInt32LittleEndian(s[at..], action);
        at += 4;
        at = Floats(s, at, new ReadOnlySpan<float>(in reward), "reward");
        at = Floats(s, at, next, "next observation");
        s[at] = (byte)((terminated ? 1 : 0) | (truncated ? 2 : 0));
        Count++;
    }

    /// <summary>The payload of the batch so far (a new array); the batch is then empty: <see cref="Begin"/> the next.</summary>
    /// <exception cref="InvalidOperationException">The batch is empty.</exception>
    public byte[] Finish()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("an empty batch is not sent: add a transition first");
        }

        var s = _buffer.AsSpan();
        s[0] = TransitionBatch.Version;
        s[1] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(s[2..], (ushort)ObservationSize);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)Count);
        BinaryPrimitives.WriteUInt64LittleEndian(s[8..], FirstSequence);
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], ModelVersion);
        s[20] = (byte)_id.Length;
        _id.CopyTo(s[21..]);
        byte[] payload = s[..(_header + (Count * _record))].ToArray();
        Count = 0;
        return payload;
    }

    internal static int HeaderBytes(int idLength) => 1 + 1 + 2 + 4 + 8 + 4 + 1 + idLength;

    internal static int RecordBytes(int f) => (8 * f) + 9;

    private int Floats(Span<byte> s, int at, ReadOnlySpan<float> v, string field)
    {
        foreach (float x in v)
        {
            if (!float.IsFinite(x))
            {
                throw new ArgumentException($"transition {Count}'s {field} holds {x}; a batch carries finite values only (the learner's gradients would be NaN)");
            }

            BinaryPrimitives.WriteSingleLittleEndian(s[at..], x);
            at += 4;
        }

        return at;
    }
}
