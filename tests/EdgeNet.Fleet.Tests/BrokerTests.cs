using EdgeNet.Tests.Shared;
using System.Collections.Concurrent;
using EdgeNet.Fleet.Payloads;
using EdgeNet.Fleet.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeNet.Fleet.Tests;

/// <summary>The fleet's security against a real Mosquitto: TLS from the fleet's CA only, a password per board, the ACL.</summary>
[TestClass]
public sealed class BrokerTests
{
    private static MqttApplicationMessage Message(string topic, byte[] payload, bool retain = false) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build();

    /// <summary>Subscribes <paramref name="client"/> to <paramref name="filter"/>; the messages it receives land in the returned queue.</summary>
    private static async Task<(ConcurrentQueue<(string Topic, byte[] Payload)> Got, MqttClientSubscribeResultCode Code)> Listen(IMqttClient client, string filter)
    {
        var got = new ConcurrentQueue<(string, byte[])>();
        client.ApplicationMessageReceivedAsync += e =>
        {
            got.Enqueue((e.ApplicationMessage.Topic, System.Buffers.BuffersExtensions.ToArray(e.ApplicationMessage.Payload)));
            return Task.CompletedTask;
        };
        var r = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)).Build());
        return (got, r.Items.First().ResultCode);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task A_board_publishes_its_transitions_but_not_a_model_and_cannot_read_another_board()
    {
        using var broker = Mosquitto.Start("rig-01", "rig-02");
        using var learner = await Clients.Connect(broker, "learner");
        using var rig1 = await Clients.Connect(broker, "rig-01");
        using var rig2 = await Clients.Connect(broker, "rig-02");
        var (atLearner, learnerCode) = await Listen(learner, FleetTopics.AllTransitions);
        Assert.AreEqual(MqttClientSubscribeResultCode.GrantedQoS1, learnerCode);
        var (spied, spyCode) = await Listen(rig2, FleetTopics.Transitions("rig-01"));
        var (models, _) = await Listen(rig2, FleetTopics.CurrentModel);

        byte[] batch = TransitionBatch.Encode(new TransitionBatch("rig-01", 0, 1, 4, [new Transition([0, 0, 0, 0], 1, 1, [0, 0, 0, 1], false, false)]));
        var ok = await rig1.PublishAsync(Message(FleetTopics.Transitions("rig-01"), batch));
        Assert.IsTrue(ok.IsSuccess, $"its own transitions: {ok.ReasonCode}");

        // A board announcing a model, or writing as another board: the broker refuses (MQTT 5: PUBACK 'not authorized').
        var forged = await rig1.PublishAsync(Message(FleetTopics.CurrentModel, ModelAnnouncement.Encode(99, ModelScheme.F32, [1, 2, 3]), retain: true));
        Assert.AreEqual(MqttClientPublishReasonCode.NotAuthorized, forged.ReasonCode, "a board may not publish a model");
        var impostor = await rig1.PublishAsync(Message(FleetTopics.Transitions("rig-02"), batch));
        Assert.AreEqual(MqttClientPublishReasonCode.NotAuthorized, impostor.ReasonCode, "a board may not write another board's topic");

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (atLearner.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await Task.Delay(300);   // what else would arrive, arrives
        Assert.HasCount(1, atLearner, "the learner got rig-01's batch, and only it");
        Assert.IsTrue(atLearner.TryPeek(out var first) && first.Topic == FleetTopics.Transitions("rig-01") && first.Payload.AsSpan().SequenceEqual(batch));
        Assert.IsEmpty(spied, $"rig-02 read nothing of rig-01's transitions (SUBACK {spyCode})");
        Assert.IsEmpty(models, "no model was published");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task The_learner_announces_a_model_every_board_reads_and_a_late_board_gets_it_retained()
    {
        using var broker = Mosquitto.Start("rig-01", "rig-02");
        using var learner = await Clients.Connect(broker, "learner");
        byte[] blob = [.. Enumerable.Range(0, 3000).Select(i => (byte)(i * 7))];
        var r = await learner.PublishAsync(Message(FleetTopics.CurrentModel, ModelAnnouncement.Encode(5, ModelScheme.Int8, blob), retain: true));
        Assert.IsTrue(r.IsSuccess, $"the learner may announce: {r.ReasonCode}");
        using var late = await Clients.Connect(broker, "rig-02");
        var (got, code) = await Listen(late, FleetTopics.CurrentModel);
        Assert.AreEqual(MqttClientSubscribeResultCode.GrantedQoS1, code);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (got.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.IsTrue(got.TryDequeue(out var m), "the retained announcement reached a board that connected after it");
        var (header, back) = ModelAnnouncement.Decode(m.Payload);
        Assert.AreEqual(5U, header.ModelVersion);
        CollectionAssert.AreEqual(blob, back);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task A_client_trusting_another_ca_or_with_a_wrong_password_is_refused()
    {
        using var broker = Mosquitto.Start("rig-01");
        using var other = Mosquitto.MakeCa("another CA", out var key);
        key.Dispose();
        var tls = await Assert.ThrowsAsync<Exception>(() => Clients.Connect(broker, "rig-01", trust: other), "a broker whose certificate the fleet's CA did not sign is not talked to");
        Assert.IsTrue(tls.ToString().Contains("certificate", StringComparison.OrdinalIgnoreCase), $"refused for its certificate: {tls}");
        var e = await Assert.ThrowsAsync<Exception>(() => Clients.Connect(broker, "rig-01", password: "guess"));
        StringAssert.Contains(e.Message, "the broker refused 'rig-01': NotAuthorized", e.ToString());
        using var good = await Clients.Connect(broker, "rig-01");
        Assert.IsTrue(good.IsConnected);
    }
}
