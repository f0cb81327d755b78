namespace EdgeNet.Formats.Data;

/// <summary>
/// A folder of labelled images, one sub-folder per class (tf_flowers' <c>flower_photos/daisy/*.jpg</c>, what
/// Keras' <c>image_dataset_from_directory</c> reads, what <c>edgenet camera --collect</c> writes): classes are
/// the sub-folders in ordinal order, images are found at any depth inside a class folder, a root that holds
/// only one folder of class folders (the tf_flowers archive's <c>flower_photos/</c>) is entered. Each image is
/// decoded, brought to the model's size by its <see cref="ImagePipeline"/> (crop and resize) and kept as pixels
/// 0..1, grey or RGB by the pipeline's colour (normalization happens per batch).
/// </summary>
public static class ImageFolder
{
    /// <summary>True when <paramref name="folder"/> holds class sub-folders with images in them.</summary>
    public static bool Looks(string folder) => Directory.Exists(folder) && ClassFolders(Root(folder)).Length > 0;

    /// <summary>The class names of <paramref name="folder"/> in label order (ordinal order of the sub-folders).</summary>
    public static string[] ClassNames(string folder)
    {
        var dirs = ClassFolders(Root(folder));
        return Array.ConvertAll(dirs, d => Path.GetFileName(d)!);
    }

    /// <summary>
    /// Every image of the folder at the pipeline's size. With <paramref name="classNames"/> the sub-folders must be among
    /// them (a model's classes, for fine-tuning or evaluation); otherwise the sub-folders are the classes.
    /// </summary>
    /// <exception cref="DatasetException">No class folders or images, a folder that is not a class of the model, or a file that cannot be decoded (named).</exception>
    public static ImageDataset Load(string folder, ImagePipeline pipeline, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        if (!Directory.Exists(folder))
        {
            throw new DatasetException($"{folder}: no such folder; give a folder of class sub-folders (CLASS/NAME.jpg)");
        }

        string root = Root(folder);
        var dirs = ClassFolders(root);
        if (dirs.Length == 0)
        {
            throw new DatasetException($"{folder}: no class sub-folders with images (expected CLASS/NAME.jpg|png, e.g. flower_photos/daisy/1.jpg)");
        }

        var classes = classNames ?? Array.ConvertAll(dirs, d => Path.GetFileName(d)!);
        bool rgb = pipeline.Color == ColorMode.Rgb;
        int c = rgb ? 3 : 1, size = pipeline.Height * pipeline.Width * c;
        var sized = new ImagePipeline(pipeline.Height, pipeline.Width, c, rgb ? ColorMode.Rgb : ColorMode.Grey, pipeline.Resize, 1f / 255f, 0f);
        var images = new List<float[]>();
        var labels = new List<int>();
        float[]? scratch = null;
        foreach (string dir in dirs)
        {
            string name = Path.GetFileName(dir)!;
            int label = IndexOf(classes, name);
            if (label < 0)
            {
                throw new DatasetException($"{dir}: '{name}' is not a class of the model ({string.Join(", ", classes)}); name each sub-folder by its class");
            }

            foreach (string file in Sorted(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)))
            {
                if (!ImageFile.IsImage(file))
                {
                    continue;
                }

                (byte[] Pixels, int H, int W, int C) img;
                try
                {
                    img = ImageFile.Decode(File.ReadAllBytes(file), file, rgb);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    throw new DatasetException($"{file}: cannot be read as an image of class '{name}' ({e.Message}); remove or replace the file", e);
                }

                var px = Array.ConvertAll(img.Pixels, p => (float)p);
                scratch ??= new float[sized.ScratchFloats(img.H, img.W)];
                if (scratch.Length < sized.ScratchFloats(img.H, img.W))
                {
                    scratch = new float[sized.ScratchFloats(img.H, img.W)];
                }

                var dst = new float[size];
                sized.Apply(px, img.H, img.W, img.C, dst, scratch);
                images.Add(dst);
                labels.Add(label);
            }
        }

        if (labels.Count == 0)
        {
            throw new DatasetException($"{folder}: no images in the class sub-folders (expected CLASS/NAME.jpg|png)");
        }

        var all = new float[images.Count * size];
        for (int i = 0; i < images.Count; i++)
        {
            images[i].CopyTo(all, i * size);
        }

        return new ImageDataset(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), all, [.. labels], pipeline.Height, pipeline.Width, c, classes);
    }

    /// <summary>
    /// The folder split into training and validation images by a fixed seed (as Keras' validation_split with a seed):
    /// a SplitMix64 permutation, the last <paramref name="validationSplit"/> of it for validation.
    /// </summary>
    public static DatasetSplit LoadSplit(string folder, ImagePipeline pipeline, double validationSplit = 0.2, ulong seed = 1337)
    {
        if (validationSplit is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "the validation split must be in (0, 1)");
        }

        var all = Load(folder, pipeline);
        int[] order = Datasets.SeededPermutation(all.Count, seed);
        int nTrain = Math.Max(1, (int)Math.Round(all.Count * (1 - validationSplit)));
        if (nTrain >= all.Count)
        {
            throw new DatasetException($"{folder}: {all.Count} images are too few to keep {validationSplit:P0} for validation");
        }

        return new DatasetSplit(all.Subset(order[..nTrain], all.Name + "/train"), all.Subset(order[nTrain..], all.Name + "/validation"));
    }

    /// <summary>
    /// The folder, or its one sub-folder when that is a root of classes itself (two or more class folders inside):
    /// a classification needs two classes, so a lone sub-folder full of class folders is the archive's wrapper.
    /// </summary>
    private static string Root(string folder)
    {
        var subs = Directory.GetDirectories(folder);
        return subs.Length == 1 && ClassFolders(subs[0]).Length >= 2 ? subs[0] : folder;
    }

    /// <summary>The sub-folders of <paramref name="folder"/> that hold an image at some depth, in ordinal order.</summary>
    private static string[] ClassFolders(string folder)
    {
        var found = new List<string>();
        foreach (string dir in Sorted(Directory.EnumerateDirectories(folder)))
        {
            foreach (string file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                if (ImageFile.IsImage(file))
                {
                    found.Add(dir);
                    break;
                }
            }
        }

        return [.. found];
    }

    private static string[] Sorted(IEnumerable<string> entries)
    {
        var sorted = new List<string>(entries);
        sorted.Sort(StringComparer.Ordinal);
        return [.. sorted];
    }

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
