using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeNet.Fleet.Broker;

namespace EdgeNet.Tests.Shared;

/// <summary>
/// A real Mosquitto (Debian's package, installed by scripts/setup.sh) on 127.0.0.1 and a free port, with a generated
/// configuration: TLS from a CA made here (the server's certificate for 127.0.0.1 and localhost), per-user passwords
/// (hashed by mosquitto_passwd), and the fleet's ACL: a board writes only its own topics and reads the model, only the
/// learner writes the model. Stopped and deleted on Dispose.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class Mosquitto : IDisposable
{
    private Process _process;

    private Mosquitto(string dir, int port, X509Certificate2 ca)
    {
        Directory = dir;
        Port = port;
        Ca = ca;
        _process = Launch(dir);
    }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>The CA that signed the broker's certificate (what a client trusts).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>Each user's password: the learner's and every board's.</summary>
    public static string Password(string user) => $"pw-{user}-7f3a";

    /// <summary>Starts a broker whose users are the learner and <paramref name="boards"/>.</summary>
    public static Mosquitto Start(params string[] boards) => Start(persistent: false, boards);

    /// <summary>
    /// Starts a broker whose users are the learner and <paramref name="boards"/>; <paramref name="persistent"/>: sessions,
    /// subscriptions and queued QoS 1 messages are saved when it stops (SIGTERM) and restored when it starts again.
    /// </summary>
    public static Mosquitto Start(bool persistent, params string[] boards)
    {
        if (!File.Exists("/usr/sbin/mosquitto") || !File.Exists("/usr/bin/mosquitto_passwd"))
        {
            throw new InvalidOperationException("mosquitto is not installed: scripts/setup.sh installs Debian's mosquitto package (apt-get install mosquitto)");
        }

        // Readable by all: mosquitto started as root drops to its own user before it reads the files (test keys only).
        string dir = System.IO.Directory.CreateTempSubdirectory("edgenet-mosquitto-").FullName;
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        int port = FreePort();
        var files = FleetBrokerSetup.Write(dir, port, boards, persistent, password: Password);
        foreach (string f in System.IO.Directory.GetFiles(dir))
        {
            File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        File.SetUnixFileMode(Path.Combine(dir, "db"), (UnixFileMode)0b111_111_111);   // the broker's own user writes its database here
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(files.CaFile));
        var broker = new Mosquitto(dir, port, ca);
        broker.WaitListening();
        return broker;
    }

    /// <summary>Stops the broker as a service manager would (SIGTERM: it saves its database) and starts it again on the same port.</summary>
    public void Restart()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        if (!_process.WaitForExit(10_000))
        {
            throw new InvalidOperationException("mosquitto did not stop within 10 s of SIGTERM");
        }

        _process.Dispose();
        _process = Launch(Directory);
        WaitListening();
    }

    // Its stderr is read as it comes (a full pipe would block the broker) and kept for a failure's message.
    private Process Launch(string dir)
    {
        var p = Process.Start(new ProcessStartInfo("/usr/sbin/mosquitto", ["-c", Path.Combine(dir, "mosquitto.conf")]) { RedirectStandardError = true })!;
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_log)
                {
                    _log.AppendLine(e.Data);
                }
            }
        };
        p.BeginErrorReadLine();
        return p;
    }

    private readonly System.Text.StringBuilder _log = new();
    private bool _disposed;

    private void WaitListening()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Listening(Port))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                if (_process.HasExited)
                {
                    _process.WaitForExit();   // the last of stderr read
                }

                string err;
                lock (_log)
                {
                    err = _process.HasExited ? _log.ToString() : "(still starting after 10 s)";
                }

                Dispose();
                throw new InvalidOperationException($"mosquitto did not start on 127.0.0.1:{Port}: {err}");
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>A certificate authority of its own (another CA than the broker's, for the wrong-CA test).</summary>
    public static X509Certificate2 MakeCa(string name, out ECDsa key) => FleetBrokerSetup.MakeCa(name, out key, days: 1);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        finally
        {
            _process.Dispose();
            Ca.Dispose();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static bool Listening(int port)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
