namespace EdgeNet.Tests.Shared;

/// <summary>An element comparer for CollectionAssert over floats: equal within <paramref name="eps"/>.</summary>
internal sealed class FloatTolerance(float eps) : System.Collections.IComparer
{
    public int Compare(object? x, object? y) => Math.Abs((float)x! - (float)y!) <= eps ? 0 : 1;
}
