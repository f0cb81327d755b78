namespace EdgeNet.Formats.Enb;

/// <summary>
/// The one exception type for a malformed, truncated or hostile .enb blob. The message names
/// the file, the field and the byte offset and, where there is one, how to fix it.
/// </summary>
public sealed class EnbFormatException : Exception
{
    public EnbFormatException(string file, string field, long offset, string problem, string? fix = null)
        : base(Compose(file, field, offset, problem, fix))
    {
        File = file;
        Field = field;
        Offset = offset;
        Problem = problem;
        Fix = fix;
    }

    public EnbFormatException() : this("<unknown>", "<unknown>", -1, "malformed blob") { }

    public EnbFormatException(string message) : this("<unknown>", "<unknown>", -1, message) { }

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

    public string Problem { get; }

    public string? Fix { get; }

    private static string Compose(string file, string field, long offset, string problem, string? fix)
    {
        string at = offset >= 0 ? $" at byte {offset}" : "";
        string how = fix is null ? "" : $" Fix: {fix}";
        return $"{file}: field '{field}'{at}: {problem}.{how}";
    }
}
