namespace EdgeNet.Runtime.Training;

/// <summary>A step produced a NaN or infinite gradient; no weight was changed by it.</summary>
public sealed class NonFiniteGradientException(string message) : Exception(message);
