using EdgeNet.Fleet.Topics;

namespace EdgeNet.Fleet.Transport;

/// <summary>Whom a fleet client connects as: a board (its id is its user name) or the learner.</summary>
public enum FleetRole
{
    /// <summary>A board: publishes its transitions, heartbeats and status (its last will: offline), reads the model.</summary>
    Board,

    /// <summary>The learner: reads every board, publishes the model.</summary>
    Learner,
}

/// <summary>
/// Where and as whom a fleet client connects: <c>mqtts://HOST:PORT</c> (TLS always), the user and password the broker's
/// password file knows, and the fleet CA's certificate (PEM) that the broker's certificate must chain to.
/// </summary>
/// <param name="Host">The broker's host.</param>
/// <param name="Port">Its TLS port (8883 by default).</param>
/// <param name="User">The user name: a board's id, or the learner's.</param>
/// <param name="Password">The user's password.</param>
/// <param name="CaFile">The fleet CA's certificate, PEM.</param>
public sealed record FleetConnection(string Host, int Port, string User, string Password, string CaFile)
{
    /// <summary>
    /// The password in <paramref name="path"/> (one line, as <c>edgenet-train fleet broker</c> writes USER.password): a file,
    /// not the command line, where every user's <c>ps</c> would show it.
    /// </summary>
    /// <exception cref="ArgumentException">The file is empty.</exception>
    public static string ReadPasswordFile(string path)
    {
        string text = File.ReadAllText(path).Trim();
        return text.Length == 0 ? throw new ArgumentException($"--password-file {path} is empty: write the user's MQTT password on one line") : text;
    }

    /// <summary>The connection to <paramref name="url"/> (<c>mqtts://host[:port]</c>) as <paramref name="user"/>.</summary>
    /// <exception cref="ArgumentException">Not an mqtts URL (plain MQTT is refused: the fleet's credentials never travel in clear), or a bad board id.</exception>
    public static FleetConnection Parse(string url, string user, string password, string caFile)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme != "mqtts" || u.Host.Length == 0)
        {
            throw new ArgumentException($"--broker {url}: give mqtts://HOST[:PORT] (TLS; plain mqtt:// would send the boards' passwords in clear)", nameof(url));
        }

        FleetTopics.CheckBoard(user);
        return new FleetConnection(u.Host, u.IsDefaultPort || u.Port < 0 ? 8883 : u.Port, user, password, caFile);
    }
}
