using System.Text.RegularExpressions;

namespace EdgeNet.Formats.Enb;

/// <summary>Rules both the writer and the reader enforce, so a blob the writer makes always reads back.</summary>
internal static partial class BlobRules
{
    [GeneratedRegex("^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$", RegexOptions.CultureInvariant)]
    private static partial Regex MetadataKeyPattern();

    [GeneratedRegex("^[a-z][a-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex AttributeKeyPattern();

    public static string? CheckMetadataKey(string key) =>
        MetadataKeyPattern().IsMatch(key) && key.Length <= 255
            ? null
            : $"metadata key '{key}' must be namespaced lower_snake, like 'general.name' (at most 255 bytes)";

    public static string? CheckAttributeKey(string key) =>
        AttributeKeyPattern().IsMatch(key) && key.Length <= 255
            ? null
            : $"attribute key '{key}' must be lower_snake, like 'padding' (at most 255 bytes)";

    public static string? CheckName(string name) =>
        name.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(name) > 255 ? $"name '{name}' must be 1..255 UTF-8 bytes" : null;

    /// <summary>Element count of a tensor, or -1 on overflow.</summary>
    public static long ElementCount(IReadOnlyList<long> dims)
    {
        long n = 1;
        foreach (long d in dims)
        {
            if (d < 1 || n > long.MaxValue / d)
            {
                return -1;
            }

            n *= d;
        }

        return n;
    }

    public static bool IsKnownOpcode(ushort code) => Contract.OperatorSchemas.IsKnown(code);

    /// <summary>Null when the key is unknown to the contract or its value has the contract's type, else the problem.</summary>
    public static string? CheckMetadataValue(string key, EnbValue value) => Contract.MetadataKeys.Named(key)?.Check(value);

    public static long AlignUp(long value, long alignment) => checked((value + alignment - 1) / alignment * alignment);
}
