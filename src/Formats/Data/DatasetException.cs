namespace EdgeNet.Formats.Data;

/// <summary>A dataset file that is missing, truncated or not in the expected format; the message names the file and the fix.</summary>
public sealed class DatasetException : Exception
{
    /// <summary>A dataset problem described by <paramref name="message"/> (the file and the fix).</summary>
    public DatasetException(string message) : base(message) { }

    /// <summary>A dataset problem.</summary>
    public DatasetException() { }

    /// <summary>A dataset problem caused by <paramref name="inner"/>.</summary>
    public DatasetException(string message, Exception inner) : base(message, inner) { }
}
