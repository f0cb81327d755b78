namespace EdgeNet.Formats.Enb;

/// <summary>
/// The one exception type for a malformed, truncated or hostile .enb blob. The message names
/// the file, the field and the byte offset and, where there is one, how to fix it.
/// </summary>
public sealed class EnbFormatException : Exception
{
    /// <summary>A blob problem: <paramref name="problem"/> in <paramref name="field"/> at byte <paramref name="offset"/> of <paramref name="file"/>, and the <paramref name="fix"/> when there is one.</summary>
    public EnbFormatException(string file, string field, long offset, string problem, string? fix = null)
        : base(Compose(file, field, offset, problem, fix))
    {
        File = file;
        Field = field;
        Offset = offset;
        Problem = problem;
        Fix = fix;
    }

    /// <summary>A malformed blob.</summary>
    public EnbFormatException() : this("<unknown>", "<unknown>", -1, "malformed blob") { }

    /// <summary>A malformed blob described by <paramref name="message"/>.</summary>
    public EnbFormatException(string message) : this("<unknown>", "<unknown>", -1, message) { }

    /// <summary>A malformed blob, caused by <paramref name="inner"/>.</summary>
    public EnbFormatException(string message, Exception inner) : base(message, inner)
    {
        File = "<unknown>";
        Field = "<unknown>";
        Offset = -1;
        Problem = message;
    }

    /// <summary>The blob's path, or the name given to an in-memory blob.</summary>
    public string File { get; }

    /// <summary>The field that failed, e.g. <c>tensors[3].offset</c>.</summary>
    public string Field { get; }

    /// <summary>Byte offset of the field in the file, or -1 when not tied to one place.</summary>
    public long Offset { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }

    /// <summary>How to fix it, or null.</summary>
    public string? Fix { get; }

    private static string Compose(string file, string field, long offset, string problem, string? fix)
    {
        string at = offset >= 0 ? $" at byte {offset}" : "";
        string how = fix is null ? "" : $" Fix: {fix}";
        return $"{file}: field '{field}'{at}: {problem}.{how}";
    }
}
