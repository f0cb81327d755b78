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
    public static bool Looks(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateDirectories(folder).Any(d => Directory.EnumerateFiles(d).Any(IsImage));

    public static ImageDataset Load(string folder, int height, int width, IReadOnlyList<string> classNames)
    {
        var images = new List<float>();
        var labels = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            string label = Path.GetFileName(dir);
            int cls = IndexOf(classNames, label);
            if (cls < 0)
            {
                throw new DatasetException($"{dir}: '{label}' is not a class of the model ({string.Join(", ", classNames)}); name each sub-folder by its class");
            }

            foreach (string file in Directory.EnumerateFiles(dir).Where(IsImage).Order(StringComparer.Ordinal))
            {
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
