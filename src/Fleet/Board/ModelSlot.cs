using EdgeNet.Fleet.Payloads;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime;

namespace EdgeNet.Fleet.Board;

/// <summary>A loaded policy: the interpreter acting with it, its announced version and hash, and its file.</summary>
internal sealed class LoadedModel(Interpreter interpreter, uint version, string sha256, string path, bool owned) : IDisposable
{
    public Interpreter Interpreter { get; } = interpreter;

    public uint Version { get; } = version;

    public string Sha256 { get; } = sha256;

    public string Path { get; } = path;

    /// <summary>Dispose and delete the file (a blob this board wrote; never the one it was started with).</summary>
    public void Dispose()
    {
        Interpreter.Dispose();
        if (owned)
        {
            try
            {
                File.Delete(Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a file that stays behind costs disk, not correctness (this runs on the thread pool: it must not throw)
            }
        }
    }
}

/// <summary>
/// The board's model and the next one: an announcement is checked (size, SHA-256), written to the model folder, loaded and
/// checked against the environment (observation size, actions) on the network's thread, and only then offered; the control
/// loop takes it between two ticks (<see cref="TakePending"/>: one reference exchange). A bad or partial blob never reaches
/// the loop: the running model stays and the refusal is counted and said.
/// </summary>
internal sealed class ModelSlot(int observationSize, int actionCount, FleetActorOptions options) : IDisposable
{
    private readonly Lock _gate = new();
    private LoadedModel? _pending;
    private string _newestSha = "";

    public long Refused { get; private set; }

    public string? LastRefusal { get; private set; }

    /// <summary>Loads the board's starting blob (version 0 until the learner's first announcement).</summary>
    public LoadedModel LoadInitial(string path)
    {
        var it = Interpreter.Load(path, new InterpreterOptions { MaxBatch = 1, Variant = options.Variant });
        try
        {
            Check(it, path);
            string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
            _newestSha = sha;
            return new LoadedModel(it, 0, sha, path, owned: false);
        }
        catch
        {
            it.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An announcement's payload (the network's thread): true when it is now pending; false when it is the model already
    /// running or pending (a retained message delivered again after a reconnect); a refusal throws after counting.
    /// </summary>
    /// <exception cref="FleetPayloadException">The payload is refused (bad hash, cut, not a blob, not this environment's policy); the running model stays.</exception>
    public bool Offer(ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            ModelAnnouncement header;
            byte[] blob;
            try
            {
                (header, blob) = ModelAnnouncement.Decode(payload);
            }
            catch (FleetPayloadException e)
            {
                throw Refuse(e.Message, e);
            }

            if (header.Sha256Hex == _newestSha)
            {
                return false;
            }

            Directory.CreateDirectory(options.ModelDirectory);
            string path = System.IO.Path.Combine(options.ModelDirectory, $"model-v{header.ModelVersion}-{header.Sha256Hex[..12]}.enb");
            AtomicFile.Write(path, s => s.Write(blob));
            Interpreter it;
            try
            {
                it = Interpreter.Load(path, new InterpreterOptions { MaxBatch = 1, Variant = options.Variant });
            }
            catch (Exception e) when (e is not OutOfMemoryException)   // whatever a hostile blob makes the reader throw: refused, never the loop's problem
            {
                File.Delete(path);
                throw Refuse($"model announcement of model {header.ModelVersion}: the blob (hash as announced) does not load: {e.Message}; the running model stays", e);
            }

            try
            {
                Check(it, $"model announcement of model {header.ModelVersion}");
            }
            catch (RuntimeModelException e)
            {
                it.Dispose();
                File.Delete(path);
                throw Refuse(e.Message + "; the running model stays", e);
            }

            var replaced = Interlocked.Exchange(ref _pending, new LoadedModel(it, header.ModelVersion, header.Sha256Hex, path, owned: true));
            replaced?.Dispose();   // announced and superseded before the loop took it
            _newestSha = header.Sha256Hex;
            return true;
        }
    }

    /// <summary>The pending model, or null (the control loop, between ticks: no lock, one exchange).</summary>
    public LoadedModel? TakePending() => Volatile.Read(ref _pending) is null ? null : Interlocked.Exchange(ref _pending, null);

    public void Dispose() => Interlocked.Exchange(ref _pending, null)?.Dispose();

    private FleetPayloadException Refuse(string message, Exception inner)
    {
        Refused++;
        LastRefusal = message;
        return new FleetPayloadException(message, inner);
    }

    private void Check(Interpreter it, string what)
    {
        if (it.InputSampleSize != observationSize || it.OutputSampleSize != actionCount)
        {
            throw new RuntimeModelException($"{what}: the board needs a policy of {observationSize} observation values in and {actionCount} action values out; this model takes {it.InputSampleSize} and gives {it.OutputSampleSize}");
        }
    }
}
