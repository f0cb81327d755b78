using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using EdgeNet.Fleet.Topics;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeNet.Fleet.Transport;

/// <summary>
/// One fleet participant's MQTT connection (MQTTnet 5, MQTT 5): TLS trusting the fleet's CA alone, a persistent session
/// (clean start off, an hour's expiry) so QoS 1 messages queued while it was away are delivered when it comes back, and
/// a reconnect loop with backoff that re-subscribes. A board's last will marks it offline (retained).
/// </summary>
public sealed class FleetClient : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly Lock _gate = new();
    private (string Filter, Func<string, byte[], Task> Handler)[] _subscriptions = [];   // replaced whole under _gate, read as a snapshot
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _keeper;

    private FleetClient(IMqttClient client, MqttClientOptions options, FleetRole role, string user)
    {
        _client = client;
        _options = options;
        Role = role;
        User = user;
        _client.ApplicationMessageReceivedAsync += async e =>
        {
            // A handler that throws (a payload from a newer board, a bug) must not keep the message unacknowledged: MQTTnet
            // sends the PUBACK when this returns, and unacknowledged QoS 1 messages would stall the session.
            string topic = e.ApplicationMessage.Topic;
            byte[] payload = e.ApplicationMessage.Payload.ToArray();
            foreach (var (filter, handler) in _subscriptions)
            {
                if (MqttTopicFilterComparer.Compare(topic, filter) != MqttTopicFilterCompareResult.IsMatch)
                {
                    continue;
                }

                try
                {
                    await handler(topic, payload).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    HandlerFailures++;
                    HandlerFailed?.Invoke(topic, ex);
                }
            }
        };
        _keeper = Task.Run(KeepConnected);
    }

    /// <summary>Set once the first connection is made: the keeper reconnects only a client that was connected.</summary>
    private bool _connectedOnce;

    /// <summary>Board or learner.</summary>
    public FleetRole Role { get; }

    /// <summary>The user (a board's id).</summary>
    public string User { get; }

    /// <summary>True while connected.</summary>
    public bool IsConnected => _client.IsConnected;

    /// <summary>Reconnections made after the first connection.</summary>
    public int Reconnects { get; private set; }

    /// <summary>Messages a handler threw on (each still acknowledged, so the session never stalls).</summary>
    public long HandlerFailures { get; private set; }

    /// <summary>Called with the topic and the exception when a handler throws (a refused payload: log it, count it).</summary>
    public event Action<string, Exception>? HandlerFailed;

    /// <summary>
    /// Connects (waiting for the first connection); later losses are reconnected in the background. The handlers of
    /// <paramref name="subscriptions"/> are in place before the connection, so messages the broker kept for this session
    /// while it was away (delivered right after it connects) reach them; then each filter is subscribed (QoS 1).
    /// </summary>
    /// <exception cref="FleetConnectionException">The broker refused the user or its password, or its certificate does not chain to the fleet's CA.</exception>
    public static async Task<FleetClient> ConnectAsync(FleetConnection c, FleetRole role, IReadOnlyList<(string Filter, Func<string, byte[], Task> Handler)>? subscriptions = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(c);
        X509Certificate2 ca;
        try
        {
            ca = X509Certificate2.CreateFromPem(File.ReadAllText(c.CaFile));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new FleetConnectionException($"{c.CaFile}: cannot read the fleet CA's certificate (PEM, -----BEGIN CERTIFICATE-----): {e.Message}; copy the CA certificate the broker's certificate was signed with", e);
        }

        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(c.Host, c.Port)
            .WithClientId(c.User)
            .WithCredentials(c.User, c.Password)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(false)
            .WithSessionExpiryInterval(3600)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithTlsOptions(o => o.UseTls().WithCertificateValidationHandler(e => ChainsTo(e.Certificate, ca)));
        if (role == FleetRole.Board)
        {
            builder.WithWillTopic(FleetTopics.Status(c.User)).WithWillPayload("offline"u8.ToArray()).WithWillRetain(true).WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var options = builder.Build();
        var client = new MqttClientFactory().CreateMqttClient();
        var fleet = new FleetClient(client, options, role, c.User);
        var initial = new (string, Func<string, byte[], Task>)[subscriptions?.Count ?? 0];
        for (int i = 0; i < initial.Length; i++)
        {
            initial[i] = subscriptions![i];
        }

        fleet._subscriptions = initial;
        try
        {
            MqttClientConnectResult result;
            try
            {
                result = await client.ConnectAsync(options, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new FleetConnectionException($"{c.Host}:{c.Port}: cannot connect as '{c.User}': {e.Message} (is the broker up, and is its certificate signed by {c.CaFile}?)", e);
            }

            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new FleetConnectionException($"{c.Host}:{c.Port}: the broker refused '{c.User}': {result.ResultCode}; check the user's password in the broker's password file");
            }

            foreach (var (filter, _) in fleet._subscriptions)
            {
                await fleet.Subscribe(filter, ct).ConfigureAwait(false);
            }

            if (role == FleetRole.Board)
            {
                await fleet.PublishAsync(FleetTopics.Status(c.User), "online"u8.ToArray(), retain: true, ct: ct).ConfigureAwait(false);
            }
        }
        catch
        {
            await fleet.DisposeAsync().ConfigureAwait(false);   // no connection or reconnect loop outlives a failed connect
            throw;
        }

        fleet._connectedOnce = true;
        return fleet;
    }

    /// <summary>Publishes with QoS 1 (QoS 0 for heartbeats); true when the broker accepted it (false: not authorized, or not connected now).</summary>
    public async Task<bool> PublishAsync(string topic, byte[] payload, bool retain = false, bool atMostOnce = false, CancellationToken ct = default) =>
        await TryPublishAsync(topic, payload, retain, atMostOnce, ct).ConfigureAwait(false) == FleetPublishOutcome.Accepted;

    /// <summary>
    /// Publishes with QoS 1 (QoS 0 for heartbeats) and says what became of it: accepted; not sent (no connection now, or
    /// lost on the way: send it again after the reconnect); or refused by the broker (its ACL: sending it again is no use).
    /// </summary>
    public async Task<FleetPublishOutcome> TryPublishAsync(string topic, byte[] payload, bool retain = false, bool atMostOnce = false, CancellationToken ct = default)
    {
        if (!_client.IsConnected)
        {
            return FleetPublishOutcome.NotSent;
        }

        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(retain)
            .WithQualityOfServiceLevel(atMostOnce ? MqttQualityOfServiceLevel.AtMostOnce : MqttQualityOfServiceLevel.AtLeastOnce).Build();
        try
        {
            var r = await _client.PublishAsync(message, ct).ConfigureAwait(false);
            return Outcome(r.ReasonCode, retain || atMostOnce);
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or MQTTnet.Exceptions.MqttClientNotConnectedException)
        {
            return FleetPublishOutcome.NotSent;   // lost on the way: the caller keeps the batch and sends it again after the reconnect
        }
    }

    /// <summary>
    /// What a PUBACK's reason code means for the sender: success; "no matching subscribers" is success only for a retained
    /// message (kept for later subscribers) or QoS 0 — for a batch it means the broker threw it away (no learner subscribed
    /// yet, or its session expired), so it is sent again later; refused when sending again cannot help (the ACL, a bad
    /// topic, a packet or payload the broker will never take); any other failure (quota, server busy) is sent again.
    /// </summary>
    internal static FleetPublishOutcome Outcome(MqttClientPublishReasonCode code, bool keptOrFireAndForget) => code switch
    {
        MqttClientPublishReasonCode.Success => FleetPublishOutcome.Accepted,
        MqttClientPublishReasonCode.NoMatchingSubscribers => keptOrFireAndForget ? FleetPublishOutcome.Accepted : FleetPublishOutcome.NotSent,
        MqttClientPublishReasonCode.NotAuthorized or MqttClientPublishReasonCode.TopicNameInvalid or MqttClientPublishReasonCode.PayloadFormatInvalid => FleetPublishOutcome.Refused,
        _ => FleetPublishOutcome.NotSent,
    };

    /// <summary>Subscribes (QoS 1) and keeps the subscription across reconnects; <paramref name="handler"/> gets (topic, payload).</summary>
    public async Task SubscribeAsync(string filter, Func<string, byte[], Task> handler, CancellationToken ct = default)
    {
        lock (_gate)
        {
            var next = new (string, Func<string, byte[], Task>)[_subscriptions.Length + 1];
            _subscriptions.CopyTo(next, 0);
            next[^1] = (filter, handler);
            _subscriptions = next;
        }

        await Subscribe(filter, ct).ConfigureAwait(false);
    }

    private async Task Subscribe(string filter, CancellationToken ct)
    {
        var r = await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)).Build(), ct).ConfigureAwait(false);
        var code = MqttClientSubscribeResultCode.UnspecifiedError;
        foreach (var item in r.Items)
        {
            code = item.ResultCode;
        }

        if (code is not (MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS0))
        {
            throw new FleetConnectionException($"the broker refused '{User}' a subscription to {filter}: {code}; the fleet's ACL lets a board read only {FleetTopics.CurrentModel}");
        }
    }

    // Reconnects with backoff (0.1 s doubling to 2 s) while not disposed; the persistent session keeps what was queued.
    // Each attempt has its own timeout (MQTTnet applies the options' timeout only to a token that cannot be cancelled).
    private async Task KeepConnected()
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
                if (_client.IsConnected || !_connectedOnce)
                {
                    delay = TimeSpan.FromMilliseconds(100);
                    continue;
                }

                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                attempt.CancelAfter(_options.Timeout);
                var r = await _client.ConnectAsync(_options, attempt.Token).ConfigureAwait(false);
                if (r.ResultCode == MqttClientConnectResultCode.Success)
                {
                    Reconnects++;
                    if (!r.IsSessionPresent)
                    {
                        foreach (var (filter, _) in _subscriptions)
                        {
                            await Subscribe(filter, _stop.Token).ConfigureAwait(false);
                        }
                    }

                    if (Role == FleetRole.Board)
                    {
                        await PublishAsync(FleetTopics.Status(User), "online"u8.ToArray(), retain: true, ct: _stop.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // Any failure of one attempt (refused, timed out, TLS): try again later, never give up while wanted.
                delay = TimeSpan.FromMilliseconds(Math.Min(2000, delay.TotalMilliseconds * 2));
            }
        }
    }

    private static bool ChainsTo(X509Certificate certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    /// <summary>Stops reconnecting and disconnects (a board's clean disconnect leaves its will unsent: publish offline first).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _keeper.ConfigureAwait(false);
            if (_client.IsConnected)
            {
                if (Role == FleetRole.Board)
                {
                    await PublishAsync(FleetTopics.Status(User), "offline"u8.ToArray(), retain: true).ConfigureAwait(false);
                }

                await _client.DisconnectAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _client.Dispose();
            _stop.Dispose();
        }
    }
}

/// <summary>A fleet connection that could not be made or was refused; the message says which and what to check.</summary>
public sealed class FleetConnectionException : Exception
{
    /// <summary>Refused for <paramref name="message"/>.</summary>
    public FleetConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Refused for <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public FleetConnectionException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Not used: every refusal says why.</summary>
    public FleetConnectionException()
        : base("the fleet connection was refused")
    {
    }
}

/// <summary>What became of a publish.</summary>
public enum FleetPublishOutcome
{
    /// <summary>The broker accepted it (QoS 1: its PUBACK came; QoS 0: it was written).</summary>
    Accepted,

    /// <summary>Not connected now, or the connection died before the broker's answer: send it again after the reconnect (the ledger drops a second copy).</summary>
    NotSent,

    /// <summary>The broker refused it (its ACL): sending it again is no use.</summary>
    Refused,
}
