using System.Buffers.Binary;
using System.Text;
using EdgeNet.Fleet.Topics;

namespace EdgeNet.Fleet.Payloads;

/// <summary>One step of a board's rig: s, a, r, s′, and whether the episode ended (terminated) or was cut (truncated).</summary>
/// <param name="Observation">s: the rig's observation before acting.</param>
/// <param name="Action">a: the action taken.</param>
/// <param name="Reward">r.</param>
/// <param name="NextObservation">s′.</param>
/// <param name="Terminated">The episode ended in a terminal state (no bootstrap from s′).</param>
/// <param name="Truncated">The episode was cut (time limit, a stop): s′ is bootstrapped from.</param>
public sealed record Transition(float[] Observation, int Action, float Reward, float[] NextObservation, bool Terminated, bool Truncated);

/// <summary>
/// A batch of one board's transitions, numbered from <see cref="FirstSequence"/> (transition i is sequence FirstSequence + i):
/// the learner keeps each (board, sequence) once (<see cref="TransitionLedger"/>). Binary, little-endian, version 1
/// (docs/fleet.md): u8 version, u8 reserved 0, u16 observation size F, u32 count N, u64 first sequence, u32 model version
/// the board acted with, u8 board id length, the id (UTF-8), then N records of F·f32 s, i32 a, f32 r, F·f32 s′, u8 flags
/// (bit 0 terminated, bit 1 truncated).
/// </summary>
/// <param name="Board">The board's id (its MQTT user name).</param>
/// <param name="FirstSequence">The sequence number of the first transition.</param>
/// <param name="ModelVersion">The model version the board acted with (the learner's staleness figure).</param>
/// <param name="ObservationSize">F, the length of every observation.</param>
/// <param name="Transitions">The transitions in order.</param>
public sealed record TransitionBatch(string Board, ulong FirstSequence, uint ModelVersion, int ObservationSize, IReadOnlyList<Transition> Transitions)
{
    /// <summary>The layout this code writes and the newest it reads.</summary>
    public const byte Version = 1;

    /// <summary>The most transitions one batch carries.</summary>
    public const int MaxTransitions = 1 << 16;

    /// <summary>The longest observation.</summary>
    public const int MaxObservation = 1024;

    /// <summary>The most bytes of records one batch carries (MQTT's packets end at 256 MiB; a board sends far less).</summary>
    public const int MaxBytes = 64 << 20;

    private const string What = "transition batch";

    /// <summary>The payload of <paramref name="batch"/>.</summary>
    /// <exception cref="ArgumentException">An observation of another length, a non-finite value, too many transitions, a bad board id.</exception>
    public static byte[] Encode(TransitionBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Transitions.Count == 0)
        {
            throw new ArgumentException($"a batch holds 1..{MaxTransitions} transitions; this one from '{batch.Board}' has none", nameof(batch));
        }

        var w = new TransitionBatchWriter(batch.Board, batch.ObservationSize, batch.Transitions.Count);
        w.Begin(batch.FirstSequence, batch.ModelVersion);
        foreach (var t in batch.Transitions)
        {
            w.Add(t.Observation, t.Action, t.Reward, t.NextObservation, t.Terminated, t.Truncated);
        }

        return w.Finish();
    }

    /// <summary>
    /// The batch in <paramref name="payload"/>, received on <paramref name="topic"/>: its board must be the topic's (the
    /// broker's ACL says who may write a topic, the payload's id is only what the sender wrote; a board naming another
    /// would poison that board's de-duplication).
    /// </summary>
    /// <exception cref="FleetPayloadException">As <see cref="Decode(ReadOnlySpan{byte})"/>, or a board id other than the topic's.</exception>
    public static TransitionBatch Decode(string topic, ReadOnlySpan<byte> payload)
    {
        var b = Decode(payload);
        string? owner = FleetTopics.BoardOf(topic);
        return owner == b.Board ? b : throw new FleetPayloadException($"{What} on {topic} says it is from '{b.Board}': refused (a board publishes only its own transitions)");
    }

    /// <summary>The batch in <paramref name="payload"/>.</summary>
    /// <exception cref="FleetPayloadException">A newer version, a cut or padded payload, a bad board id, a non-finite value, unknown flags.</exception>
    public static TransitionBatch Decode(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, What);
        r.Version(Version, "the learner (edgenet-train)");
        if (r.U8("reserved") != 0)
        {
            throw new FleetPayloadException($"{What}: byte 1 (reserved) is not 0: the payload is from a newer or a foreign writer");
        }

        int f = r.U16("observation_size");
        uint n = r.U32("count");
        ulong first = r.U64("first_sequence");
        uint model = r.U32("model_version");
        int idLength = r.U8("board_length");
        string board = Encoding.UTF8.GetString(r.Bytes(idLength, "board"));
        try
        {
            FleetTopics.CheckBoard(board);
        }
        catch (ArgumentException e)
        {
            throw new FleetPayloadException($"{What}: field 'board': {e.Message}", e);
        }

        if (f is < 1 or > MaxObservation || n is < 1 or > MaxTransitions || n * (long)TransitionBatchWriter.RecordBytes(f) > MaxBytes)
        {
            throw new FleetPayloadException($"{What} from '{board}': {n} transitions of {f} values; a batch holds 1..{MaxTransitions} of 1..{MaxObservation}");
        }

        long expected = (long)r.Position + (n * (long)TransitionBatchWriter.RecordBytes(f));
        if (payload.Length != expected)
        {
            throw new FleetPayloadException($"{What} from '{board}': {payload.Length} bytes where {n} transitions of {f} values take {expected}: the message was cut or padded");
        }

        var list = new Transition[n];
        for (int i = 0; i < n; i++)
        {
            var s = ReadFloats(ref r, f, board, i, "observation");
            int a = r.I32("action");
            float reward = ReadFloats(ref r, 1, board, i, "reward")[0];
            var next = ReadFloats(ref r, f, board, i, "next observation");
            byte flags = r.U8("flags");
            if (flags > 3)
            {
                throw new FleetPayloadException($"{What} from '{board}': transition {i} (sequence {first + (ulong)i}) has flags {flags}; only bits 0 (terminated) and 1 (truncated) are defined");
            }

            list[i] = new Transition(s, a, reward, next, (flags & 1) != 0, (flags & 2) != 0);
        }

        r.End();
        return new TransitionBatch(board, first, model, f, list);
    }

    private static float[] ReadFloats(ref PayloadReader r, int n, string board, int i, string field)
    {
        var v = new float[n];
        for (int k = 0; k < n; k++)
        {
            v[k] = r.F32(field);
            if (!float.IsFinite(v[k]))
            {
                throw new FleetPayloadException($"{What} from '{board}': transition {i}'s {field} holds {v[k]}; refused (it would put NaN into the learner's gradients)");
            }
        }

        return v;
    }
}
