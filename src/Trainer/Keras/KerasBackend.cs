namespace EdgeNet.Trainer.Keras;

/// <summary>Global Keras state: layer name counters and the random seed (tf.keras.backend / tf.keras.utils).</summary>
public static class KerasBackend
{
    private static readonly Dictionary<string, int> s_names = new(StringComparer.Ordinal);
    private static readonly Lock s_lock = new();
    private static Random s_rng = new(1337);

    /// <summary>Seeds weight initialization, shuffling and dropout (tf.keras.utils.set_random_seed).</summary>
    public static void SetRandomSeed(int seed)
    {
        lock (s_lock)
        {
            s_rng = new Random(seed);
        }
    }

    /// <summary>A generator seeded from the global one, so each consumer is reproducible for a given global seed.</summary>
    public static Random NextRandom()
    {
        lock (s_lock)
        {
            return new Random(s_rng.Next());
        }
    }

    /// <summary>The next seed of the session's random stream (each layer's initializer draws one).</summary>
    public static ulong NextSeed()
    {
        lock (s_lock)
        {
            return (ulong)s_rng.NextInt64();
        }
    }

    /// <summary>Keras-style unique names: dense, dense_1, dense_2, ...</summary>
    public static string UniqueName(string prefix)
    {
        lock (s_lock)
        {
            int n = s_names.GetValueOrDefault(prefix);
            s_names[prefix] = n + 1;
            return n == 0 ? prefix : $"{prefix}_{n}";
        }
    }

    /// <summary>Resets the name counters (tf.keras.backend.clear_session).</summary>
    public static void ClearSession()
    {
        lock (s_lock)
        {
            s_names.Clear();
        }
    }

    /// <summary>snake_case of a class name: Conv2D → conv2d, MaxPool2D → max_pool2d, LSTMCell → lstm_cell.</summary>
    public static string SnakeCase(string name)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool boundary = i > 0 && char.IsUpper(c) &&
                (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
            if (boundary)
            {
                sb.Append('_');
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }
}
