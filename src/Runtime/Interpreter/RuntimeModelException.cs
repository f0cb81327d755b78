namespace EdgeNet.Runtime;

/// <summary>A blob that is well formed but cannot run here: an unknown op, wrong shapes, a missing tensor. Raised at load, never at Invoke.</summary>
public sealed class RuntimeModelException : Exception
{
    /// <summary>A blob whose graph cannot run, with <paramref name="message"/> naming the file, the operator and the problem.</summary>
    public RuntimeModelException(string message) : base(message) { }

    /// <summary>A blob whose graph cannot run.</summary>
    public RuntimeModelException() { }

    /// <summary>A blob whose graph cannot run, caused by <paramref name="inner"/>.</summary>
    public RuntimeModelException(string message, Exception inner) : base(message, inner) { }
}
