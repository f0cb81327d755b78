using System.Security.Cryptography;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Fleet.Topics;

namespace EdgeNet.Fleet.Tests;

/// <summary>The fleet's payloads: round trips byte for byte, a newer version refused naming what to update, every cut refused, de-duplication.</summary>
[TestClass]
public sealed class PayloadTests
{
    private static TransitionBatch Batch(string board = "rig-07", int n = 5)
    {
        var list = new List<Transition>();
        for (int i = 0; i < n; i++)
        {
            list.Add(new Transition([0.01f * i, -0.5f, 0.25f, 1.5f + i], i % 2, 1f, [0.02f * i, -0.4f, 0.2f, 1.25f], i == n - 1, false));
        }

        if (n > 1)
        {
            list[1] = list[1] with { Truncated = true };
        }

        return new TransitionBatch(board, 1200, 3, 4, list);
    }

    [TestMethod]
    public void A_transition_batch_round_trips_and_has_the_documented_size()
    {
        var b = Batch();
        byte[] payload = TransitionBatch.Encode(b);
        Assert.HasCount(21 + 6 + (5 * ((8 * 4) + 9)), payload, "header 21 + the id + 5 records of 8F + 9 bytes (docs/fleet.md)");
        Assert.AreEqual(1, payload[0], "the version byte");
        var back = TransitionBatch.Decode(payload);
        Assert.AreEqual(("rig-07", 1200UL, 3U, 4), (back.Board, back.FirstSequence, back.ModelVersion, back.ObservationSize));
        for (int i = 0; i < 5; i++)
        {
            var (x, y) = (b.Transitions[i], back.Transitions[i]);
            CollectionAssert.AreEqual(x.Observation, y.Observation);
            CollectionAssert.AreEqual(x.NextObservation, y.NextObservation);
            Assert.AreEqual((x.Action, x.Reward, x.Terminated, x.Truncated), (y.Action, y.Reward, y.Terminated, y.Truncated), $"transition {i}");
        }

        CollectionAssert.AreEqual(payload, TransitionBatch.Encode(back), "re-encoded byte for byte");
    }

    [TestMethod]
    public void A_newer_version_byte_is_refused_naming_what_to_update()
    {
        byte[] batch = TransitionBatch.Encode(Batch());
        batch[0] = 2;
        var e = Assert.ThrowsExactly<FleetPayloadException>(() => TransitionBatch.Decode(batch));
        Assert.AreEqual("transition batch: version 2 is newer than this reader's 1; update the learner (edgenet-train) to read it", e.Message);
        byte[] model = ModelAnnouncement.Encode(4, ModelScheme.Int8, [1, 2, 3]);
        model[0] = 9;
        StringAssert.Contains(Assert.ThrowsExactly<FleetPayloadException>(() => ModelAnnouncement.Decode(model)).Message, "version 9 is newer than this reader's 1; update edgenet on this board");
        byte[] beat = Heartbeat.Encode(new Heartbeat(1, 2, 3, 4, 5, 6, 7, 8));
        beat[0] = 2;
        StringAssert.Contains(Assert.ThrowsExactly<FleetPayloadException>(() => Heartbeat.Decode(beat)).Message, "heartbeat: version 2 is newer");
    }

    [TestMethod]
    public void Every_cut_or_padded_payload_is_refused()
    {
        byte[] batch = TransitionBatch.Encode(Batch(n: 3));
        for (int len = 0; len < batch.Length; len++)
        {
            Assert.ThrowsExactly<FleetPayloadException>(() => TransitionBatch.Decode(batch.AsSpan(0, len)), $"a batch cut to {len} of {batch.Length} bytes");
        }

        var e = Assert.ThrowsExactly<FleetPayloadException>(() => TransitionBatch.Decode([.. batch, 0]));
        StringAssert.Contains(e.Message, $"transition batch from 'rig-07': {batch.Length + 1} bytes where 3 transitions of 4 values take {batch.Length}: the message was cut or padded");
        byte[] beat = Heartbeat.Encode(new Heartbeat(1, 2, 3, 4, 5, 6, 7, 8));
        Assert.HasCount(Heartbeat.Bytes, beat);
        for (int len = 0; len < beat.Length; len++)
        {
            Assert.ThrowsExactly<FleetPayloadException>(() => Heartbeat.Decode(beat.AsSpan(0, len)));
        }

        Assert.AreEqual(new Heartbeat(1, 2, 3, 4, 5, 6, 7, 8), Heartbeat.Decode(beat));
    }

    [TestMethod]
    public void A_non_finite_value_or_a_bad_board_id_never_reaches_the_learner()
    {
        var b = Batch();
        var bad = b with { Transitions = [b.Transitions[0] with { Reward = float.NaN }] };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => TransitionBatch.Encode(bad)).Message, "transition 0's reward holds NaN");
        byte[] payload = TransitionBatch.Encode(Batch(n: 1));
        BitConverter.GetBytes(float.PositiveInfinity).CopyTo(payload, 27 + 4);   // the second value of the first observation
        StringAssert.Contains(Assert.ThrowsExactly<FleetPayloadException>(() => TransitionBatch.Decode(payload)).Message, "transition 0's observation holds Infinity");
        Assert.ThrowsExactly<ArgumentException>(() => FleetTopics.Transitions("rig/+"));
        payload = TransitionBatch.Encode(Batch(n: 1));
        payload[21] = (byte)'#';
        StringAssert.Contains(Assert.ThrowsExactly<FleetPayloadException>(() => TransitionBatch.Decode(payload)).Message, "field 'board': board id '#ig-07' has '#'");
    }

    [TestMethod]
    public void A_model_announcement_carries_its_blob_and_a_changed_blob_is_refused()
    {
        byte[] blob = RandomNumberGenerator.GetBytes(5000);
        byte[] payload = ModelAnnouncement.Encode(12, ModelScheme.Int8, blob);
        var (header, back) = ModelAnnouncement.Decode(payload);
        Assert.AreEqual((12U, ModelScheme.Int8, 5000L), (header.ModelVersion, header.Scheme, header.Size));
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(blob)), header.Sha256Hex);
        CollectionAssert.AreEqual(blob, back);
        payload[^1] ^= 1;
        var e = Assert.ThrowsExactly<FleetPayloadException>(() => ModelAnnouncement.Decode(payload));
        StringAssert.Contains(e.Message, "model announcement of model 12: the blob hashes to");
        StringAssert.Contains(e.Message, "refused, the running model stays");
        e = Assert.ThrowsExactly<FleetPayloadException>(() => ModelAnnouncement.Decode(payload.AsSpan(0, payload.Length - 10)));
        StringAssert.Contains(e.Message, "the blob is 4990 bytes but the header says 5000");
    }

    [TestMethod]
    public void The_ledger_keeps_each_board_and_sequence_once_across_duplicates_and_reordering()
    {
        var ledger = new TransitionLedger();
        // Board a: 10..14, then 10..14 again (a broker re-delivering a batch), then 17, 15, 16 (reordered across a reconnect).
        ulong[] a = [10, 11, 12, 13, 14, 10, 11, 12, 13, 14, 17, 15, 16, 17];
        bool[] fresh = [.. a.Select(s => ledger.Accept("a", s))];
        CollectionAssert.AreEqual(new[] { true, true, true, true, true, false, false, false, false, false, true, true, true, false }, fresh);
        Assert.AreEqual(18UL, ledger.Watermark("a", 0), "every sequence below 18 seen");
        Assert.IsTrue(ledger.Accept("b", 10), "another board's 10 is its own");
        Assert.AreEqual((9L, 6L), (ledger.Accepted, ledger.Duplicates));

        // Board a restarts: its new incarnation counts from its own first sequence; the old one's record is untouched.
        uint boot = FleetSequence.NewIncarnation();
        Assert.AreNotEqual(boot, FleetSequence.NewIncarnation(), "random incarnations (equal with probability 2^-32)");
        ulong first = FleetSequence.Compose(boot, 0);
        Assert.IsTrue(ledger.Accept("a", first) && ledger.Accept("a", first + 1) && !ledger.Accept("a", first));
        Assert.AreEqual((boot, 2U), (FleetSequence.Incarnation(ledger.Watermark("a", boot)), FleetSequence.Index(ledger.Watermark("a", boot))));
        Assert.AreEqual(18UL, ledger.Watermark("a", 0));
        Assert.HasCount(3, ledger.Incarnations);
    }

    [TestMethod]
    public void The_ledger_stays_bounded_when_a_gap_never_fills_or_a_board_restarts_often()
    {
        var ledger = new TransitionLedger { MaxAhead = 3, MaxIncarnations = 2 };
        Assert.IsTrue(ledger.Accept("a", 0));
        foreach (ulong s in new ulong[] { 5, 6, 7 })
        {
            Assert.IsTrue(ledger.Accept("a", s), "ahead of the gap 1..4");
        }

        Assert.AreEqual(1UL, ledger.Watermark("a", 0), "three kept ahead: the gap may still fill");
        Assert.IsTrue(ledger.Accept("a", 9), "a fourth: past MaxAhead the gap is given up");
        Assert.AreEqual(8UL, ledger.Watermark("a", 0), "skipped to 5 and drained 5, 6, 7");
        Assert.AreEqual(4L, ledger.GivenUp, "1..4 given up");
        Assert.IsFalse(ledger.Accept("a", 6), "still a duplicate");
        foreach (uint inc in new uint[] { 11, 12, 13 })
        {
            ledger.Accept("a", FleetSequence.Compose(inc, 0));
        }

        Assert.HasCount(2, ledger.Incarnations, "only the two newest incarnations are remembered");
        Assert.AreEqual(FleetSequence.Compose(13, 1), ledger.Watermark("a", 13));
    }

    [TestMethod]
    public void A_batch_naming_another_board_than_its_topic_is_refused()
    {
        byte[] payload = TransitionBatch.Encode(Batch("rig-02", n: 1));
        Assert.AreEqual("rig-02", TransitionBatch.Decode(FleetTopics.Transitions("rig-02"), payload).Board);
        var e = Assert.ThrowsExactly<FleetPayloadException>(() => TransitionBatch.Decode(FleetTopics.Transitions("rig-01"), payload));
        Assert.AreEqual("transition batch on edgenet/boards/rig-01/transitions says it is from 'rig-02': refused (a board publishes only its own transitions)", e.Message);
        byte[] beat = Heartbeat.Encode(new Heartbeat(1, 2, 3, 4, 5, 6, 7, 8));
        beat[2] = 1;
        StringAssert.Contains(Assert.ThrowsExactly<FleetPayloadException>(() => Heartbeat.Decode(beat)).Message, "(reserved) are not 0");
    }
}
