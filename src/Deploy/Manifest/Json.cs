using System.Globalization;
using System.Text.Json;

namespace EdgeNet.Deploy.Manifest;

/// <summary>
/// The manifest's and the state's JSON, over <see cref="JsonDocument"/> and <see cref="Utf8JsonWriter"/> as rig.json is
/// (the serializer's generated code would cost the board's NativeAOT binary several hundred KB). A field of the wrong
/// kind is an error naming the file and the field; unknown fields are skipped (a newer writer's additions).
/// </summary>
internal static class Json
{
    public static readonly JsonWriterOptions Indented = new() { Indented = true };

    /// <summary>One JSON object written by <paramref name="body"/> (indented UTF-8): the manifest's and the install state's one writer.</summary>
    public static byte[] Object(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Indented))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static JsonDocument Parse(ReadOnlySpan<byte> json, string source, string fix)
    {
        try
        {
            var doc = JsonDocument.Parse(json.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                throw new DeployException(source, "(root)", "is not a JSON object", fix);
            }

            return doc;
        }
        catch (JsonException e)
        {
            throw new DeployException(source, "(root)", $"is not valid JSON ({e.Message.Split(" Path:")[0]})", fix, e);
        }
    }

    private static JsonElement? Field(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static DeployException Wrong(string source, string field, JsonElement v, string expected, string fix) =>
        new(source, field, $"is {v.ValueKind.ToString().ToLowerInvariant()}, expected {expected}", fix);

    public static string? String(JsonElement o, string name, string source, string fix, string? path = null)
    {
        if (Field(o, name) is not { } v)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Wrong(source, path ?? name, v, "a string", fix);
    }

    public static long? Number(JsonElement o, string name, string source, string fix, string? path = null)
    {
        if (Field(o, name) is not { } v)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : throw Wrong(source, path ?? name, v, "an integer", fix);
    }

    public static bool? Bool(JsonElement o, string name, string source, string fix, string? path = null)
    {
        if (Field(o, name) is not { } v)
        {
            return null;
        }

        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Wrong(source, path ?? name, v, "true or false", fix);
    }

    public static List<JsonElement> Array(JsonElement o, string name, string source, string fix)
    {
        var list = new List<JsonElement>();
        if (Field(o, name) is not { } v)
        {
            return list;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Wrong(source, name, v, "an array", fix);
        }

        foreach (var e in v.EnumerateArray())
        {
            list.Add(e);
        }

        return list;
    }

    public static List<string> Strings(JsonElement v, string field, string source, string fix)
    {
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Wrong(source, field, v, "an array of strings", fix);
        }

        var list = new List<string>();
        foreach (var e in v.EnumerateArray())
        {
            list.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Wrong(source, $"{field}[{list.Count}]", e, "a string", fix));
        }

        return list;
    }

    public static List<string> StringsOf(JsonElement o, string name, string source, string fix) =>
        Field(o, name) is { } v ? Strings(v, name, source, fix) : [];

    public static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var s in values)
        {
            w.WriteStringValue(s);
        }

        w.WriteEndArray();
    }

    public static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string? s) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.MinValue;
}
