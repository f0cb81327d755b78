using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeNet.Rig.Config;

/// <summary>One JSON field of a settings object: its dotted path (<c>motor.pwm_chip</c>), how to read it into the object and how to write it.</summary>
/// <typeparam name="T">The settings object.</typeparam>
internal sealed record JsonField<T>(string Path, JsonValueKind Kind, Func<T, object?> Get, Action<T, JsonElement> Set, string? Choices = null);

/// <summary>
/// Settings read from and written to JSON through a table of fields, over <see cref="JsonDocument"/> and
/// <see cref="Utf8JsonWriter"/> (System.Text.Json's DOM and writer: on the board's NativeAOT binary they cost a
/// fraction of the serializer's generated code). Unknown keys and values of the wrong kind are errors naming
/// the source, the key and what is expected; keys left out keep the object's defaults.
/// </summary>
internal static class JsonFields
{
    /// <summary>Reads <paramref name="json"/> into <paramref name="target"/>.</summary>
    public static void Read<T>(string json, T target, IReadOnlyList<JsonField<T>> fields, string source)
    {
        ArgumentNullException.ThrowIfNull(fields);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new RigConfigException($"{source}: not valid JSON ({ex.Message.Split(" Path:")[0]})");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new RigConfigException($"{source}: expected a JSON object {{...}}, found {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            }

            Walk(doc.RootElement, "", target, fields, source);
        }
    }

    private static string KeyList<T>(IReadOnlyList<JsonField<T>> fields)
    {
        var keys = new string[fields.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = fields[i].Path;
        }

        return string.Join(", ", keys);
    }

    private static void Walk<T>(JsonElement obj, string prefix, T target, IReadOnlyList<JsonField<T>> fields, string source)
    {
        foreach (var p in obj.EnumerateObject())
        {
            string path = prefix + p.Name;
            JsonField<T>? field = null;
            bool isGroup = false;
            foreach (var f in fields)
            {
                if (f.Path == path)
                {
                    field = f;
                }
                else if (f.Path.StartsWith(path + ".", StringComparison.Ordinal))
                {
                    isGroup = true;
                }
            }

            if (isGroup)
            {
                if (p.Value.ValueKind != JsonValueKind.Object)
                {
                    throw new RigConfigException($"{source}: '{path}' must be an object {{...}}");
                }

                Walk(p.Value, path + ".", target, fields, source);
                continue;
            }

            if (field is null)
            {
                throw new RigConfigException($"{source}: unknown key '{path}'; the keys are {KeyList(fields)}");
            }

            var kind = p.Value.ValueKind;
            bool ok = field.Kind switch
            {
                JsonValueKind.True => kind is JsonValueKind.True or JsonValueKind.False,
                JsonValueKind.Number => kind == JsonValueKind.Number || (kind == JsonValueKind.String && p.Value.GetString() is "NaN" or "Infinity" or "-Infinity"),
                JsonValueKind.String => kind is JsonValueKind.String or JsonValueKind.Null,
                _ => kind == field.Kind,
            };
            if (!ok)
            {
                string want = field.Kind switch
                {
                    JsonValueKind.True => "true or false",
                    JsonValueKind.Number => "a number",
                    JsonValueKind.String => field.Choices is null ? "a string" : $"one of {field.Choices}",
                    _ => field.Kind.ToString().ToLowerInvariant(),
                };
                throw new RigConfigException($"{source}: '{path}' is {p.Value.GetRawText()}; give {want}");
            }

            try
            {
                field.Set(target, p.Value);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                throw new RigConfigException($"{source}: '{path}' is {p.Value.GetRawText()}: {ex.Message}");
            }
        }
    }

    /// <summary>The object as indented JSON, nested by the fields' dotted paths, in table order.</summary>
    public static string Write<T>(T source, IReadOnlyList<JsonField<T>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            var open = new List<string>();
            foreach (var f in fields)
            {
                string[] parts = f.Path.Split('.');
                int common = 0;
                while (common < open.Count && common < parts.Length - 1 && open[common] == parts[common])
                {
                    common++;
                }

                for (int i = open.Count; i > common; i--)
                {
                    w.WriteEndObject();
                }

                open.RemoveRange(common, open.Count - common);
                for (int i = common; i < parts.Length - 1; i++)
                {
                    w.WriteStartObject(parts[i]);
                    open.Add(parts[i]);
                }

                string name = parts[^1];
                switch (f.Get(source))
                {
                    case null:
                        w.WriteNull(name);
                        break;
                    case bool b:
                        w.WriteBoolean(name, b);
                        break;
                    case string s:
                        w.WriteString(name, s);
                        break;
                    case int n:
                        w.WriteNumber(name, n);
                        break;
                    case long n:
                        w.WriteNumber(name, n);
                        break;
                    case double d when double.IsFinite(d):
                        w.WriteNumber(name, d);
                        break;
                    case double d:
                        w.WriteString(name, d.ToString(CultureInfo.InvariantCulture));
                        break;
                    case var other:
                        throw new InvalidOperationException($"JsonFields: '{f.Path}' has a value of type {other.GetType().Name}");
                }
            }

            for (int i = open.Count; i > 0; i--)
            {
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A number field.</summary>
    public static JsonField<T> Number<T>(string path, Func<T, double> get, Action<T, double> set) =>
        new(path, JsonValueKind.Number, o => get(o), (o, e) => set(o, e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!, CultureInfo.InvariantCulture) : e.GetDouble()));

    /// <summary>A whole-number field (a fraction is refused).</summary>
    public static JsonField<T> Integer<T>(string path, Func<T, int> get, Action<T, int> set) =>
        new(path, JsonValueKind.Number, o => get(o), (o, e) => set(o, e.TryGetInt32(out int v) ? v : throw new FormatException($"give a whole number between {int.MinValue} and {int.MaxValue}")));

    /// <summary>A 64-bit whole-number field (counters).</summary>
    public static JsonField<T> Long<T>(string path, Func<T, long> get, Action<T, long> set) =>
        new(path, JsonValueKind.Number, o => get(o), (o, e) => set(o, e.TryGetInt64(out long v) ? v : throw new FormatException("give a whole number")));

    /// <summary>A true/false field.</summary>
    public static JsonField<T> Boolean<T>(string path, Func<T, bool> get, Action<T, bool> set) =>
        new(path, JsonValueKind.True, o => get(o), (o, e) => set(o, e.GetBoolean()));

    /// <summary>A string field (null allowed); <paramref name="choices"/> names the allowed values in errors.</summary>
    public static JsonField<T> Text<T>(string path, Func<T, string?> get, Action<T, string?> set, string? choices = null) =>
        new(path, JsonValueKind.String, o => get(o), (o, e) => set(o, e.GetString()), choices);
}
