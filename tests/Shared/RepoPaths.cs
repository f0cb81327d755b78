namespace EdgeNet.Tests.Shared;

/// <summary>The repository the tests run from: the folder above the test binaries that holds EdgeNet.sln.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "EdgeNet.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("EdgeNet.sln not found above " + AppContext.BaseDirectory);
    }
}
