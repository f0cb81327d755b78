namespace EdgeNet.Runtime;

/// <summary>A blob that is well formed but cannot run here: an unknown op, wrong shapes, a missing tensor. Raised at load, never at Invoke.</summary>
public sealed class RuntimeModelException : Exception
{
    public RuntimeModelException(string message) : base(message) { }

    public RuntimeModelException() { }

    public RuntimeModelException(string message, Exception inner) : base(message, inner) { }
}
