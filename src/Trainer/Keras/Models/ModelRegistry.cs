using System.Collections.Concurrent;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Trainer.Keras.Models;

/// <summary>
/// Subclassed architectures that <see cref="Model.Load"/> can rebuild from a checkpoint that has no
/// config (Keras' <c>custom_objects</c>): each registers its class name, the <c>general.name</c> values
/// it is saved under, and a factory that builds it with the checkpoint's shapes. The Keras core knows
/// only this table; the chapter's models register into it.
/// </summary>
public static class ModelRegistry
{
    private static readonly ConcurrentDictionary<string, Func<BlobReader, Model>> s_byClass = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string> s_classOfName = new(StringComparer.Ordinal);

    /// <summary>Registers <paramref name="className"/> (replacing an earlier one) under the model names in <paramref name="savedNames"/>.</summary>
    public static void Register(string className, Func<BlobReader, Model> build, params string[] savedNames)
    {
        ArgumentException.ThrowIfNullOrEmpty(className);
        ArgumentNullException.ThrowIfNull(build);
        s_byClass[className] = build;
        foreach (string n in savedNames)
        {
            s_classOfName[n] = className;
        }
    }

    /// <summary>The class registered for a saved model name (<c>general.name</c>), or null.</summary>
    public static string? ClassOfName(string? savedName) => savedName is not null && s_classOfName.TryGetValue(savedName, out var c) ? c : null;

    /// <summary>The model built for <paramref name="className"/> from the checkpoint's shapes, or null when none is registered.</summary>
    public static Model? TryCreate(string className, BlobReader r) => s_byClass.TryGetValue(className, out var build) ? build(r) : null;
}
