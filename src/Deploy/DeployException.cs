namespace EdgeNet.Deploy;

/// <summary>
/// A bundle, a key or a board that cannot be used, said as the file, the field and the fix. Nothing live has been
/// touched when one is thrown before the switch (verify, staging); after it the installer has rolled back.
/// </summary>
public sealed class DeployException : Exception
{
    /// <summary>A failure of <paramref name="source"/> (a file or the board) in <paramref name="field"/>, with the fix.</summary>
    public DeployException(string source, string field, string problem, string fix)
        : base($"{source}: {field}: {problem}; {fix}") => (Source, Field) = (source, field);

    /// <summary>A failure with its cause.</summary>
    public DeployException(string source, string field, string problem, string fix, Exception inner)
        : base($"{source}: {field}: {problem}; {fix}", inner) => (Source, Field) = (source, field);

    /// <summary>The file or board the failure is about.</summary>
    public new string Source { get; }

    /// <summary>The manifest field, check or step that failed (<c>signature</c>, <c>files[bin/edgenet].sha256</c>, <c>compatible</c>).</summary>
    public string Field { get; }
}
