using EdgeNet.Formats.Data;

namespace EdgeNet.Runtime.Input;

/// <summary>
/// A folder of labelled images, one sub-folder per class named by its label (<c>3/a.png</c>, <c>3/b.pgm</c>,
/// ...): what <c>edgenet camera --collect</c> writes and <c>edgenet finetune --data</c> reads. Images are
/// read as grey, resized to the model's input and scaled to [0, 1] as the other datasets are.
/// </summary>
internal static class LabelledFolder
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".pgm"];

    /// <summary>True when <paramref name="folder"/> holds class sub-folders with images in them.</summary>
    public static bool Looks(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return false;
        }

        foreach (string dir in Directory.EnumerateDirectories(folder))
        {
            foreach (string file in Directory.EnumerateFiles(dir))
            {
                if (IsImage(file))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The entries in ordinal order (the same on every file system).</summary>
    private static string[] Sorted(IEnumerable<string> entries)
    {
        var sorted = new List<string>(entries);
        sorted.Sort(StringComparer.Ordinal);
        return sorted.ToArray();
    }

    public static ImageDataset Load(string folder, int height, int width, IReadOnlyList<string> classNames)
    {
        var images = new List<float>();
        var labels = new List<int>();
        foreach (string dir in Sorted(Directory.EnumerateDirectories(folder)))
        {
            string label = Path.GetFileName(dir);
            int cls = IndexOf(classNames, label);
            if (cls < 0)
            {
                throw new DatasetException($"{dir}: '{label}' is not a class of the model ({string.Join(", ", classNames)}); name each sub-folder by its class");
            }

            foreach (string file in Sorted(Directory.EnumerateFiles(dir)))
            {
                if (!IsImage(file))
                {
                    continue;
                }

                foreach (float p in ImageInput.Read(file, height, width, 0, invert: false))
                {
                    images.Add(p / 255f);
                }

                labels.Add(cls);
            }
        }

        if (labels.Count == 0)
        {
            throw new DatasetException($"{folder}: no images in class sub-folders (expected LABEL/NAME.png, e.g. 3/a.png)");
        }

        return new ImageDataset(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), [.. images], [.. labels], height, width, 1, classNames);
    }

    private static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    private static int IndexOf(IReadOnlyList<string> names, string label)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == label)
            {
                return i;
            }
        }

        return -1;
    }
}
