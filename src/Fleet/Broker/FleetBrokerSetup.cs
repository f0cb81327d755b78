using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeNet.Fleet.Topics;

namespace EdgeNet.Fleet.Broker;

/// <summary>What <see cref="FleetBrokerSetup.Write"/> made: the broker's configuration and each user's password file.</summary>
/// <param name="Directory">The folder holding everything.</param>
/// <param name="Port">The TLS port the broker listens on.</param>
/// <param name="Config">mosquitto.conf (start the broker with <c>mosquitto -c</c> it).</param>
/// <param name="CaFile">The fleet CA's certificate (PEM): what every client trusts.</param>
/// <param name="PasswordFiles">Each user's password file (<c>USER.password</c>, one line), by user.</param>
public sealed record FleetBrokerFiles(string Directory, int Port, string Config, string CaFile, IReadOnlyDictionary<string, string> PasswordFiles);

/// <summary>
/// A Mosquitto configuration for a fleet (docs/fleet.md): TLS only (a fleet CA made here signs the broker's certificate for
/// its host), no anonymous users, each user's password hashed by <c>mosquitto_passwd</c>, and the ACL — the learner reads
/// every board and alone writes the model; each board (its id is its user name) writes only its own topics and reads the
/// model. What the tests, the demo and a first deployment start the broker with.
/// </summary>
public static class FleetBrokerSetup
{
    /// <summary>The learner's user name.</summary>
    public const string Learner = "learner";

    /// <summary>The fleet's ACL for Mosquitto (the learner's user, then the pattern every board's user matches).</summary>
    public static string Acl() => $"""
        # the learner: reads every board, writes the model
        user {Learner}
        topic write {FleetTopics.CurrentModel}
        topic read {FleetTopics.AllTransitions}
        topic read {FleetTopics.AllHeartbeats}
        topic read {FleetTopics.AllStatus}

        # every user (each board is its user name): its own topics, and the model
        pattern write {FleetTopics.Root}/boards/%u/transitions
        pattern write {FleetTopics.Root}/boards/%u/heartbeat
        pattern write {FleetTopics.Root}/boards/%u/status
        pattern read {FleetTopics.CurrentModel}

        """;

    /// <summary>
    /// Writes a broker's configuration into <paramref name="directory"/> for the learner and <paramref name="boards"/>:
    /// ca.pem, server.pem/server.key (for <paramref name="host"/>), passwords, acl, mosquitto.conf, and USER.password per
    /// user (<paramref name="password"/> gives each, default random). <paramref name="persistent"/>: sessions and queued
    /// QoS 1 messages survive a broker restart (saved on SIGTERM and every second).
    /// </summary>
    /// <exception cref="FileNotFoundException">mosquitto_passwd is missing (Debian: apt-get install mosquitto).</exception>
    /// <exception cref="IOException">mosquitto_passwd failed.</exception>
    public static FleetBrokerFiles Write(string directory, int port, IReadOnlyList<string> boards, bool persistent, string host = "127.0.0.1", Func<string, string>? password = null)
    {
        ArgumentNullException.ThrowIfNull(boards);
        const string passwd = "/usr/bin/mosquitto_passwd";
        if (!File.Exists(passwd))
        {
            throw new FileNotFoundException($"{passwd} is missing: install Debian's mosquitto package (scripts/setup.sh does)", passwd);
        }

        var users = new List<string> { Learner };
        foreach (string b in boards)
        {
            users.Add(FleetTopics.CheckBoard(b));
        }

        Directory.CreateDirectory(directory);
        using var ca = MakeCa("EdgeNet fleet CA", out var caKey);
        string caFile = Path.Combine(directory, "ca.pem");
        File.WriteAllText(caFile, ca.ExportCertificatePem());
        using (caKey)
        using (var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            var req = new CertificateRequest($"CN={host}", serverKey, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            if (IPAddress.TryParse(host, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(host);
            }

            san.AddDnsName("localhost");
            req.CertificateExtensions.Add(san.Build());
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            using var server = req.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(825), RandomNumberGenerator.GetBytes(8));
            File.WriteAllText(Path.Combine(directory, "server.pem"), server.ExportCertificatePem());
            Secret(Path.Combine(directory, "server.key"), serverKey.ExportPkcs8PrivateKeyPem());
        }

        string pw = Path.Combine(directory, "passwords");
        var files = new Dictionary<string, string>();
        foreach (string user in users)
        {
            string secret = password?.Invoke(user) ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            Run(passwd, [.. File.Exists(pw) ? Array.Empty<string>() : ["-c"], "-b", pw, user, secret]);
            string file = Path.Combine(directory, $"{user}.password");
            Secret(file, secret + "\n");
            files[user] = file;
        }

        string acl = Path.Combine(directory, "acl");
        File.WriteAllText(acl, Acl());
        var db = Directory.CreateDirectory(Path.Combine(directory, "db"));
        string config = Path.Combine(directory, "mosquitto.conf");
        File.WriteAllText(config, $"""
            per_listener_settings false
            allow_anonymous false
            password_file {pw}
            acl_file {acl}
            persistence {(persistent ? "true" : "false")}
            persistence_location {db.FullName}/
            autosave_interval 1
            max_queued_messages 100000
            log_dest stderr
            log_type error
            log_type warning
            listener {port} {host}
            cafile {caFile}
            certfile {Path.Combine(directory, "server.pem")}
            keyfile {Path.Combine(directory, "server.key")}
            tls_version tlsv1.2

            """);
        return new FleetBrokerFiles(directory, port, config, caFile, files);
    }

    /// <summary>A certificate authority (P-256, a day's validity back to 5 minutes ago and on for <paramref name="days"/>).</summary>
    public static X509Certificate2 MakeCa(string name, out ECDsa key, int days = 825)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(days));
    }

    // Keys and passwords: readable by their owner only (give the broker's user server.key with chown, not chmod).
    private static void Secret(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var f = new FileStream(path, options);
        f.Write(System.Text.Encoding.UTF8.GetBytes(text));
    }

    private static void Run(string exe, string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(exe, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new IOException($"{exe} (for user {args[^2]}): exit code {p.ExitCode}: {err}");
        }
    }
}
