using System.Diagnostics;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Fleet.Topics;
using EdgeNet.Fleet.Transport;
using EdgeNet.Tests.Shared;

namespace EdgeNet.Benchmarks;

/// <summary>
/// The fleet's transport on loopback: a real Mosquitto (TLS, passwords, the fleet's ACL), 1, 4 and 16 boards as MQTT
/// clients in this process, one learner. Throughput: every board publishes cart-pole batches of 50 transitions back to
/// back (QoS 1, each awaiting its PUBACK) for the given seconds; what the learner receives and de-duplicates, per second.
/// Latency: every board publishes one batch every 20 ms (a 50 Hz rig sending each tick's transition at once would be the
/// worst case; this is 50 batches/s per board); the time from PublishAsync's start to the learner's handler, p50 and p99.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class FleetThroughput
{
    public static async Task Run(double seconds)
    {
        Console.WriteLine($"{"boards",6}{"batch",6}{"transitions/s",15}{"MB/s in",9}{"latency p50 ms",16}{"p99 ms",8}{"duplicates",12}");
        foreach (int n in new[] { 1, 4, 16 })
        {
            string[] boards = [.. Enumerable.Range(1, n).Select(i => $"rig-{i:00}")];
            using var broker = Mosquitto.Start(boards);
            var ledger = new TransitionLedger();
            var sent = new System.Collections.Concurrent.ConcurrentDictionary<(string, ulong), long>();
            var latencies = new List<double>();
            long bytes = 0;
            Task Store(string topic, byte[] payload)
            {
                long now = Stopwatch.GetTimestamp();
                var b = TransitionBatch.Decode(topic, payload);
                lock (ledger)
                {
                    bytes += payload.Length;
                    for (int i = 0; i < b.Transitions.Count; i++)
                    {
                        ledger.Accept(b.Board, b.FirstSequence + (ulong)i);
                    }

                    if (sent.TryRemove((b.Board, b.FirstSequence), out long t0))
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(t0, now).TotalMilliseconds);
                    }
                }

                return Task.CompletedTask;
            }

            await using var learner = await FleetClient.ConnectAsync(As(broker, "learner"), FleetRole.Learner, [(FleetTopics.AllTransitions, Store)]);
            var clients = new List<FleetClient>();
            foreach (string b in boards)
            {
                clients.Add(await FleetClient.ConnectAsync(As(broker, b), FleetRole.Board));
            }

            try
            {
                // Throughput: back to back.
                const int Per = 50;
                var until = DateTime.UtcNow.AddSeconds(seconds);
                var sw = Stopwatch.StartNew();
                await Task.WhenAll(clients.Select(async (c, j) =>
                {
                    uint incarnation = FleetSequence.NewIncarnation();
                    for (uint k = 0; DateTime.UtcNow < until; k++)
                    {
                        byte[] p = TransitionBatch.Encode(Batch(boards[j], FleetSequence.Compose(incarnation, k * Per), Per));
                        while (!await c.PublishAsync(FleetTopics.Transitions(boards[j]), p))
                        {
                            await Task.Delay(10);
                        }
                    }
                }));
                await Task.Delay(300);
                double elapsed = sw.Elapsed.TotalSeconds;
                long accepted, dup;
                lock (ledger)
                {
                    (accepted, dup) = (ledger.Accepted, ledger.Duplicates);
                }

                double mb = bytes / elapsed / 1e6;

                // Latency: one batch of 50 per board every 20 ms.
                lock (ledger)
                {
                    latencies.Clear();
                }

                until = DateTime.UtcNow.AddSeconds(seconds);
                await Task.WhenAll(clients.Select(async (c, j) =>
                {
                    uint incarnation = FleetSequence.NewIncarnation();
                    var tick = Stopwatch.StartNew();
                    for (uint k = 0; DateTime.UtcNow < until; k++)
                    {
                        ulong first = FleetSequence.Compose(incarnation, k * Per);
                        byte[] p = TransitionBatch.Encode(Batch(boards[j], first, Per));
                        sent[(boards[j], first)] = Stopwatch.GetTimestamp();
                        await c.PublishAsync(FleetTopics.Transitions(boards[j]), p);
                        double wait = ((k + 1) * 20.0) - tick.Elapsed.TotalMilliseconds;
                        if (wait > 0)
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(wait));
                        }
                    }
                }));
                await Task.Delay(300);
                double p50, p99;
                lock (ledger)
                {
                    latencies.Sort();
                    p50 = latencies.Count > 0 ? latencies[latencies.Count / 2] : double.NaN;
                    p99 = latencies.Count > 0 ? latencies[Math.Min(latencies.Count - 1, (int)(latencies.Count * 0.99))] : double.NaN;
                }

                Console.WriteLine($"{n,6}{Per,6}{accepted / elapsed,15:N0}{mb,9:F2}{p50,16:F2}{p99,8:F2}{dup,12}");
            }
            finally
            {
                foreach (var c in clients)
                {
                    await c.DisposeAsync();
                }
            }
        }
    }

    private static FleetConnection As(Mosquitto broker, string user) =>
        FleetConnection.Parse($"mqtts://127.0.0.1:{broker.Port}", user, Mosquitto.Password(user), Path.Combine(broker.Directory, "ca.pem"));

    private static TransitionBatch Batch(string board, ulong first, int n) =>
        new(board, first, 1, 4, [.. Enumerable.Range(0, n).Select(i => new Transition([0.01f * i, 0.1f, -0.02f, 0.3f], i % 2, 1f, [0.02f * i, 0.1f, -0.01f, 0.2f], false, false))]);
}
