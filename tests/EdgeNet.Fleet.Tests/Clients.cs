using EdgeNet.Tests.Shared;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Formatter;

namespace EdgeNet.Fleet.Tests;

/// <summary>MQTTnet clients of the test broker: TLS trusting one CA (chain built against it alone), a user and its password, MQTT 5.</summary>
internal static class Clients
{
    public static async Task<IMqttClient> Connect(Mosquitto broker, string user, X509Certificate2? trust = null, string? password = null)
    {
        var ca = trust ?? broker.Ca;
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", broker.Port)
            .WithClientId(user)
            .WithCredentials(user, password ?? Mosquitto.Password(user))
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTlsOptions(o => o.UseTls().WithCertificateValidationHandler(e =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                return chain.Build(new X509Certificate2(e.Certificate));
            }))
            .WithTimeout(TimeSpan.FromSeconds(5))
            .Build();
        var result = await client.ConnectAsync(options);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            client.Dispose();
            throw new InvalidOperationException($"the broker refused '{user}': {result.ResultCode} ({result.ReasonString})");
        }

        return client;
    }
}
