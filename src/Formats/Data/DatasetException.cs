namespace EdgeNet.Formats.Data;

/// <summary>A dataset file that is missing, truncated or not in the expected format; the message names the file and the fix.</summary>
public sealed class DatasetException : Exception
{
    public DatasetException(string message) : base(message) { }

    public DatasetException() { }

    public DatasetException(string message, Exception inner) : base(message, inner) { }
}
