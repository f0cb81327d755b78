using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Data;

/// <summary>
/// The chapter's char-level DataLoader: the text lower-cased, its characters sorted into a
/// vocabulary, and <see cref="GetBatch"/> drawing random windows and the character that follows.
/// </summary>
public sealed class TextCorpus
{
    /// <summary>Where Debian's <c>fortunes</c> packages put their text files (the default corpus).</summary>
    public const string FortunesFolder = "/usr/share/games/fortunes";

    private readonly Random _rng;

    /// <summary>A corpus of <paramref name="text"/> (lower-cased); <paramref name="seed"/> seeds the batch sampling.</summary>
    public TextCorpus(string text, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(text);
        RawText = text.ToLowerInvariant();
        Chars = RawText.Distinct().Order().ToArray();
        var index = new Dictionary<char, int>();
        for (int i = 0; i < Chars.Length; i++)
        {
            index[Chars[i]] = i;
        }

        CharIndices = index;
        Text = RawText.Select(c => index[c]).ToArray();
        _rng = new Random(seed);
    }

    /// <summary>The text as read, lower-cased.</summary>
    public string RawText { get; }

    /// <summary>The vocabulary, sorted (indices_char).</summary>
    public char[] Chars { get; }

    /// <summary>Each vocabulary character's index (char_indices).</summary>
    public IReadOnlyDictionary<char, int> CharIndices { get; }

    /// <summary>The text as vocabulary indices.</summary>
    public int[] Text { get; }

    /// <summary>The vocabulary's size.</summary>
    public int NumChars => Chars.Length;

    /// <summary>Reads a UTF-8 file, or every fortune file (those without an extension) in a folder.</summary>
    public static TextCorpus Load(string? path = null, int maxChars = int.MaxValue, int seed = 0)
    {
        path ??= FortunesFolder;
        string text;
        if (File.Exists(path))
        {
            text = File.ReadAllText(path);
        }
        else if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path).Where(f => Path.GetExtension(f).Length == 0).Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
            {
                throw new DatasetException($"{path}: no text files (files without extension) in this folder");
            }

            var sb = new System.Text.StringBuilder();
            foreach (string f in files)
            {
                sb.Append(File.ReadAllText(f));
                if (sb.Length >= maxChars)
                {
                    break;
                }
            }

            text = sb.ToString();
        }
        else
        {
            throw new DatasetException($"{path}: no such file or folder; install the Debian package 'fortunes' (scripts/setup.sh does) or name any UTF-8 text file");
        }

        if (text.Length > maxChars)
        {
            text = text[..maxChars];
        }

        if (text.Length < 100)
        {
            throw new DatasetException($"{path}: only {text.Length} characters; a char model needs more text");
        }

        return new TextCorpus(text, seed);
    }

    /// <summary>
    /// batchSize random windows: X [batchSize, seqLength] of char indices and y [batchSize] the next char
    /// (the chapter's get_batch).
    /// </summary>
    public (NDArray X, NDArray Y) GetBatch(int seqLength, int batchSize)
    {
        if (seqLength < 1 || seqLength >= Text.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(seqLength), $"sequence length {seqLength} must be in 1..{Text.Length - 1}");
        }

        var x = new float[batchSize * seqLength];
        var y = new float[batchSize];
        for (int b = 0; b < batchSize; b++)
        {
            int index = _rng.Next(0, Text.Length - seqLength);
            for (int t = 0; t < seqLength; t++)
            {
                x[(b * seqLength) + t] = Text[index + t];
            }

            y[b] = Text[index + seqLength];
        }

        return (new NDArray(x, batchSize, seqLength), new NDArray(y, batchSize));
    }

    /// <summary>The characters of vocabulary <paramref name="indices"/>.</summary>
    public string Decode(IEnumerable<int> indices) => new(indices.Select(i => Chars[i]).ToArray());

    /// <summary>The vocabulary indices of <paramref name="s"/> (lower-cased).</summary>
    /// <exception cref="ArgumentException">A character is not in the vocabulary.</exception>
    public float[] Encode(string s) => s.ToLowerInvariant().Select(c => CharIndices.TryGetValue(c, out int i) ? (float)i : throw new ArgumentException($"character '{c}' is not in the corpus vocabulary")).ToArray();
}
