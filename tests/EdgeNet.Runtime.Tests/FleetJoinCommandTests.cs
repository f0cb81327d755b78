using System.Globalization;
using System.Text.RegularExpressions;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Fleet.Topics;
using EdgeNet.Fleet.Transport;
using EdgeNet.Tests.Shared;

namespace EdgeNet.Runtime.Tests;

/// <summary><c>edgenet fleet join</c> on the simulated rig (virtual time) against a real Mosquitto with TLS, passwords and the ACL.</summary>
[TestClass]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FleetJoinCommandTests
{
    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task A_board_acts_sends_every_transition_once_and_takes_the_retained_model()
    {
        using var broker = Mosquitto.Start("rig-01");
        string dir = Directory.CreateTempSubdirectory("edgenet-join-").FullName;
        try
        {
            string start = QNetworks.Write(dir, 9), announced = QNetworks.Write(dir, 10), log = Path.Combine(dir, "accepted.csv");
            var received = new List<TransitionBatch>();
            var learner = await FleetClient.ConnectAsync(
                FleetConnection.Parse($"mqtts://127.0.0.1:{broker.Port}", "learner", Mosquitto.Password("learner"), Path.Combine(broker.Directory, "ca.pem")),
                FleetRole.Learner,
                [(FleetTopics.AllTransitions, (t, p) => { lock (received) { received.Add(TransitionBatch.Decode(t, p)); } return Task.CompletedTask; })]);
            try
            {
                Assert.IsTrue(await learner.PublishAsync(FleetTopics.CurrentModel, ModelAnnouncement.Encode(3, ModelScheme.F32, File.ReadAllBytes(announced)), retain: true));
                var (code, output, err) = CliRunner.Run(
                    "fleet", "join", "--broker", $"mqtts://127.0.0.1:{broker.Port}", "--id", "rig-01", "--password-file", Path.Combine(broker.Directory, "rig-01.password"),
                    "--ca", Path.Combine(broker.Directory, "ca.pem"), "--model", start, "--rig", "simulated", "--ticks", "400", "--batch", "25", "--seed", "4",
                    "--models-dir", Path.Combine(dir, "models"), "--log", log);
                Assert.AreEqual(0, code, err + output);
                StringAssert.Contains(output, "model 3 swapped in", "the retained announcement reaches a board that joins later");
                var m = Regex.Match(output, @"fleet board 'rig-01': ([0-9,]+) ticks.*accepted by the broker ([0-9,]+), dropped \(outbox full\) 0, refused 0, left unsent 0");
                Assert.IsTrue(m.Success, output);
                long ticks = long.Parse(m.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
                Assert.AreEqual(ticks, long.Parse(m.Groups[2].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture));
                Assert.IsGreaterThanOrEqualTo(400L, ticks);

                long logged = 0;
                foreach (string line in File.ReadAllLines(log))
                {
                    logged += long.Parse(line.Split(',')[1], CultureInfo.InvariantCulture);
                }

                Assert.AreEqual(ticks, logged, "the board's log counts every transition the broker accepted");
                var deadline = DateTime.UtcNow.AddSeconds(20);
                var seen = new Dictionary<ulong, int>();
                while (DateTime.UtcNow < deadline)
                {
                    lock (received)
                    {
                        seen.Clear();
                        foreach (var b in received)
                        {
                            for (int i = 0; i < b.Transitions.Count; i++)
                            {
                                ulong q = b.FirstSequence + (ulong)i;
                                seen[q] = seen.GetValueOrDefault(q) + 1;
                            }
                        }
                    }

                    if (seen.Count >= ticks)
                    {
                        break;
                    }

                    await Task.Delay(50);
                }

                Assert.HasCount((int)ticks, seen, "the learner received each transition");
                Assert.IsTrue(seen.Values.All(n => n == 1), "and none twice (no fault here: nothing is sent again)");
                lock (received)
                {
                    Assert.AreEqual(3u, received[^1].ModelVersion, "the board acted with the announced model");
                }
            }
            finally
            {
                await learner.DisposeAsync();
            }

            // A board whose password is wrong is refused with the reason, not a stack trace.
            File.WriteAllText(Path.Combine(dir, "wrong.password"), "not-it\n");
            var (wrongCode, _, wrongErr) = CliRunner.Run(
                "fleet", "join", "--broker", $"mqtts://127.0.0.1:{broker.Port}", "--id", "rig-01", "--password-file", Path.Combine(dir, "wrong.password"),
                "--ca", Path.Combine(broker.Directory, "ca.pem"), "--model", start, "--rig", "simulated", "--ticks", "10", "--models-dir", Path.Combine(dir, "models"));
            Assert.AreEqual(2, wrongCode, wrongErr);
            StringAssert.Contains(wrongErr, "refused 'rig-01'");
            StringAssert.Contains(wrongErr, "password");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
