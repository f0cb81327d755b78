using EdgeNet.Tests.Shared;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Fleet.Topics;
using EdgeNet.Fleet.Transport;

namespace EdgeNet.Fleet.Tests;

/// <summary>At-least-once delivery with de-duplication through FleetClient, against a real Mosquitto restarted mid-run.</summary>
[TestClass]
public sealed class DeliveryTests
{
    private static FleetConnection As(Mosquitto broker, string user) =>
        FleetConnection.Parse($"mqtts://127.0.0.1:{broker.Port}", user, Mosquitto.Password(user), Path.Combine(broker.Directory, "ca.pem"));

    private static TransitionBatch Batch(string board, ulong first, int n) =>
        new(board, first, 1, 4, [.. Enumerable.Range(0, n).Select(i => new Transition([first + (ulong)i, 0, 0, 0], i % 2, 1, [0, 0, 0, 0], false, false))]);

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task A_broker_restart_mid_run_loses_no_accepted_transition_and_adds_none_twice()
    {
        // The learner subscribes with a persistent session and goes away; two boards publish 20 batches of 10 (the broker
        // queues them for the learner), the broker restarts (SIGTERM: it saves its database), the boards reconnect and
        // publish 20 more (a batch the broker did not acknowledge is sent again, same sequences); the learner comes back and
        // must store exactly what the boards logged, each once.
        using var broker = Mosquitto.Start(persistent: true, "rig-01", "rig-02");
        var ledger = new TransitionLedger();
        var stored = new HashSet<(string, ulong)>();
        var wrong = new System.Collections.Concurrent.ConcurrentQueue<string>();   // checked at the end: MQTTnet's thread swallows what a handler throws
        Task Store(string topic, byte[] payload)
        {
            var b = TransitionBatch.Decode(topic, payload);
            lock (ledger)
            {
                for (int i = 0; i < b.Transitions.Count; i++)
                {
                    ulong seq = b.FirstSequence + (ulong)i;
                    if (b.Transitions[i].Observation[0] != seq)
                    {
                        wrong.Enqueue($"{b.Board} {seq}: observation {b.Transitions[i].Observation[0]}");
                    }

                    if (ledger.Accept(b.Board, seq))
                    {
                        stored.Add((b.Board, seq));
                    }
                }
            }

            return Task.CompletedTask;
        }

        var subscription = new List<(string, Func<string, byte[], Task>)> { (FleetTopics.AllTransitions, Store) };
        await (await FleetClient.ConnectAsync(As(broker, "learner"), FleetRole.Learner, subscription)).DisposeAsync();   // subscribed, then away

        const int Batches = 40, Per = 10;
        var logged = new HashSet<(string, ulong)>();
        var boards = new[] { "rig-01", "rig-02" };
        var clients = new List<FleetClient>();
        foreach (string b in boards)
        {
            clients.Add(await FleetClient.ConnectAsync(As(broker, b), FleetRole.Board));
        }

        int resent = 0;
        FleetClient? learner = null;
        try
        {
            for (int k = 0; k < Batches; k++)
            {
                if (k == Batches / 2)
                {
                    broker.Restart();
                }

                for (int j = 0; j < boards.Length; j++)
                {
                    byte[] payload = TransitionBatch.Encode(Batch(boards[j], (ulong)(k * Per), Per));
                    while (!await clients[j].PublishAsync(FleetTopics.Transitions(boards[j]), payload))
                    {
                        resent++;
                        await Task.Delay(50);
                    }

                    for (int i = 0; i < Per; i++)
                    {
                        logged.Add((boards[j], (ulong)((k * Per) + i)));
                    }
                }
            }

            Assert.IsEmpty(stored, "the learner was away");
            learner = await FleetClient.ConnectAsync(As(broker, "learner"), FleetRole.Learner, subscription);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                lock (ledger)
                {
                    if (stored.Count >= logged.Count)
                    {
                        break;
                    }
                }

                await Task.Delay(50);
            }

            await Task.Delay(300);   // what else would arrive, arrives
            lock (ledger)
            {
                Assert.HasCount(Batches * Per * boards.Length, logged);
                Assert.IsTrue(stored.SetEquals(logged), $"the learner stored {stored.Count} transitions, the boards logged {logged.Count} (resent {resent} times, {ledger.Duplicates} duplicates dropped)");
                Assert.AreEqual(logged.Count, ledger.Accepted, "each stored once");
                Assert.IsEmpty(wrong, "every payload is its board's own: " + string.Join("; ", wrong));
            }

            Assert.IsGreaterThanOrEqualTo(1, clients.Sum(c => c.Reconnects), "the boards reconnected after the restart");
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }

            if (learner is not null)
            {
                await learner.DisposeAsync();
            }
        }
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task A_handler_that_throws_still_acknowledges_so_the_session_never_stalls()
    {
        // Mosquitto stops delivering QoS 1 to a client with 20 unacknowledged messages: 30 refused payloads must all arrive.
        using var broker = Mosquitto.Start("rig-01");
        int calls = 0;
        Task Refuse(string topic, byte[] payload)
        {
            Interlocked.Increment(ref calls);
            throw new FleetPayloadException("a payload from a newer board");
        }

        await using var learner = await FleetClient.ConnectAsync(As(broker, "learner"), FleetRole.Learner, [(FleetTopics.AllTransitions, Refuse)]);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        learner.HandlerFailed += (topic, e) => failures.Enqueue($"{topic}: {e.Message}");
        await using var board = await FleetClient.ConnectAsync(As(broker, "rig-01"), FleetRole.Board);
        for (int k = 0; k < 30; k++)
        {
            Assert.IsTrue(await board.PublishAsync(FleetTopics.Transitions("rig-01"), TransitionBatch.Encode(Batch("rig-01", (ulong)k, 1))));
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref calls) < 30 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.AreEqual(30, Volatile.Read(ref calls), "every message reached the handler");
        Assert.AreEqual(30L, learner.HandlerFailures);
        Assert.IsTrue(failures.TryPeek(out string? first) && first == "edgenet/boards/rig-01/transitions: a payload from a newer board", first);
    }

    [TestMethod]
    public async Task A_ca_file_that_is_missing_or_not_a_certificate_is_refused_naming_it()
    {
        string notPem = Path.Combine(Path.GetTempPath(), $"not-a-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(notPem, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        try
        {
            foreach (string ca in new[] { notPem, notPem + ".missing" })
            {
                var e = await Assert.ThrowsExactlyAsync<FleetConnectionException>(() => FleetClient.ConnectAsync(FleetConnection.Parse("mqtts://127.0.0.1:9", "rig-01", "x", ca), FleetRole.Board));
                StringAssert.StartsWith(e.Message, $"{ca}: cannot read the fleet CA's certificate (PEM, -----BEGIN CERTIFICATE-----)");
            }
        }
        finally
        {
            File.Delete(notPem);
        }
    }

    [TestMethod]
    public void Plain_mqtt_and_bad_board_ids_are_refused_before_connecting()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => FleetConnection.Parse("mqtt://127.0.0.1:1883", "rig-01", "x", "ca.pem")).Message, "give mqtts://HOST[:PORT]");
        Assert.ThrowsExactly<ArgumentException>(() => FleetConnection.Parse("mqtts://127.0.0.1", "rig/#", "x", "ca.pem"));
        Assert.AreEqual(8883, FleetConnection.Parse("mqtts://broker.local", "rig-01", "x", "ca.pem").Port);
    }
}
