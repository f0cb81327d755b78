using EdgeNet.Fleet.Payloads;

namespace EdgeNet.Fleet.Learner;

/// <summary>How the fleet's learner turns the boards' transitions into models (the board's own <c>rig train</c> schedule, per transition received).</summary>
public sealed record FleetLearnerOptions
{
    /// <summary>Gradient steps per transition stored, spread over the arrivals (0.5, as <c>edgenet rig train</c> per tick).</summary>
    public double GradientStepsPerTransition { get; init; } = 0.5;

    /// <summary>Transitions stored between target-network copies.</summary>
    public int TargetEvery { get; init; } = 10;

    /// <summary>Transitions stored before the first gradient step.</summary>
    public long LearningStarts { get; init; } = 1_000;

    /// <summary>Gradient steps between announcements of a new model.</summary>
    public int AnnounceEvery { get; init; } = 128;

    /// <summary>What the announced blobs store: f32, or int8 calibrated on states from the replay ring.</summary>
    public ModelScheme Scheme { get; init; } = ModelScheme.F32;

    /// <summary>States from the replay ring that set an int8 blob's activation ranges.</summary>
    public int Int8Calibration { get; init; } = 512;

    /// <summary>Where the announced blobs are written (the newest few are kept).</summary>
    public string WorkDirectory { get; init; } = "fleet-learner";

    /// <summary>Newest announced blobs kept in <see cref="WorkDirectory"/>.</summary>
    public int KeepBlobs { get; init; } = 4;
}

/// <summary>A model the learner announced.</summary>
/// <param name="Version">Its version.</param>
/// <param name="Blob">The blob's bytes.</param>
/// <param name="Path">Where it was written.</param>
/// <param name="Stored">Transitions stored when it was made (env steps of all boards).</param>
/// <param name="GradientSteps">Gradient steps taken when it was made.</param>
/// <param name="Elapsed">Time since the learner started.</param>
/// <param name="Sent">The broker accepted the announcement.</param>
public sealed record AnnouncedModel(uint Version, byte[] Blob, string Path, long Stored, long GradientSteps, TimeSpan Elapsed, bool Sent);

/// <summary>An episode a board finished, read from its transitions.</summary>
/// <param name="Board">The board.</param>
/// <param name="Stored">Transitions stored from all boards when it ended (the x of the returns plot).</param>
/// <param name="Return">Its return.</param>
/// <param name="Elapsed">Time since the learner started.</param>
public readonly record struct BoardEpisode(string Board, long Stored, float Return, TimeSpan Elapsed);

/// <summary>What the learner knows of one board (its table row).</summary>
/// <param name="Board">The board's id.</param>
/// <param name="Online">Its retained status says online.</param>
/// <param name="LastSeen">When it was last heard from (any message).</param>
/// <param name="Stored">Its transitions stored.</param>
/// <param name="PerSecond">Its transitions stored per second over the last few seconds.</param>
/// <param name="LastReturn">Its last episode's return (from its transitions).</param>
/// <param name="Episodes">Its episodes seen end.</param>
/// <param name="ModelVersion">The model its newest batch was acted with.</param>
/// <param name="Heartbeat">Its newest heartbeat, or null.</param>
/// <param name="Incarnations">Its transitions stored per incarnation (a board restarted, or killed and started again, counts anew), in the order first seen.</param>
public sealed record BoardView(string Board, bool Online, DateTime LastSeen, long Stored, double PerSecond, float LastReturn, long Episodes, uint ModelVersion, Heartbeat? Heartbeat, IReadOnlyList<(uint Incarnation, long Stored)> Incarnations);
