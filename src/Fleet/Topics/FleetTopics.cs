namespace EdgeNet.Fleet.Topics;

/// <summary>
/// The MQTT topics of a fleet (docs/fleet.md): each board publishes under its own <c>edgenet/boards/{id}/…</c> (the broker's
/// ACL lets a board write only there), the learner publishes the one retained <c>edgenet/model/current</c>.
/// </summary>
public static class FleetTopics
{
    /// <summary>The root of every fleet topic.</summary>
    public const string Root = "edgenet";

    /// <summary>The retained announcement of the model to act with, its blob inside (QoS 1; only the learner may write it).</summary>
    public const string CurrentModel = Root + "/model/current";

    /// <summary>Every board's transitions (the learner's subscription).</summary>
    public const string AllTransitions = Root + "/boards/+/transitions";

    /// <summary>Every board's heartbeats.</summary>
    public const string AllHeartbeats = Root + "/boards/+/heartbeat";

    /// <summary>Every board's online/offline status (retained; its last will says offline).</summary>
    public const string AllStatus = Root + "/boards/+/status";

    /// <summary>Board <paramref name="board"/>'s batches of transitions (QoS 1, persistent session: none lost on a reconnect).</summary>
    public static string Transitions(string board) => $"{Root}/boards/{CheckBoard(board)}/transitions";

    /// <summary>Board <paramref name="board"/>'s loop statistics (QoS 0: the next one replaces a lost one).</summary>
    public static string Heartbeat(string board) => $"{Root}/boards/{CheckBoard(board)}/heartbeat";

    /// <summary>Board <paramref name="board"/>'s retained status, "online" or its last will "offline".</summary>
    public static string Status(string board) => $"{Root}/boards/{CheckBoard(board)}/status";

    /// <summary>The board of a topic under <c>edgenet/boards/</c>, or null.</summary>
    public static string? BoardOf(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        const string prefix = Root + "/boards/";
        if (!topic.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        int end = topic.IndexOf('/', prefix.Length);
        return end > prefix.Length ? topic[prefix.Length..end] : null;
    }

    /// <summary>
    /// A board id is its MQTT user name and one topic level: 1 to 64 of [A-Za-z0-9._-] (no '/', '+', '#' that would
    /// widen a topic, no '%' or spaces).
    /// </summary>
    public static string CheckBoard(string board)
    {
        ArgumentNullException.ThrowIfNull(board);
        if (board.Length is < 1 or > 64)
        {
            throw new ArgumentException($"board id '{board}' must have 1 to 64 characters", nameof(board));
        }

        foreach (char c in board)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                throw new ArgumentException($"board id '{board}' has '{c}'; use letters, digits, '.', '_' and '-' (it is a topic level and the broker user name)", nameof(board));
            }
        }

        return board;
    }
}
