using System.Buffers.Binary;
using System.IO.Compression;

namespace EdgeNet.Formats.Data;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST (big-endian header: 0, 0, type, rank, dims), gzipped
/// or not (detected from the first bytes).
/// </summary>
internal static class Idx
{
    /// <summary>Reads an unsigned-byte IDX file; returns its dimensions and bytes.</summary>
    public static (int[] Dims, byte[] Data) ReadBytes(string path)
    {
        byte[] raw = ReadMaybeGzip(path);
        if (raw.Length < 4 || raw[0] != 0 || raw[1] != 0)
        {
            throw new DatasetException($"{path}: not an IDX file (the first two bytes must be 0); expected e.g. train-images-idx3-ubyte[.gz]");
        }

        if (raw[2] != 0x08)
        {
            throw new DatasetException($"{path}: IDX element type 0x{raw[2]:x2} is not unsigned byte (0x08); only ubyte images and labels are supported");
        }

        int rank = raw[3];
        if (rank is < 1 or > 4 || raw.Length < 4 + (4 * rank))
        {
            throw new DatasetException($"{path}: IDX header declares rank {rank} but the file is {raw.Length} bytes");
        }

        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(4 + (4 * i)));
            if (d == 0 || d > int.MaxValue)
            {
                throw new DatasetException($"{path}: IDX dimension {i} is {d}");
            }

            dims[i] = (int)d;
            count *= d;
        }

        int header = 4 + (4 * rank);
        if (raw.Length - header != count)
        {
            throw new DatasetException($"{path}: IDX header says {count} values ({string.Join("x", dims)}) but the file holds {raw.Length - header}: the file is truncated or corrupt; reinstall or download it again");
        }

        return (dims, raw.AsSpan(header).ToArray());
    }

    private static byte[] ReadMaybeGzip(string path)
    {
        if (!File.Exists(path))
        {
            throw new DatasetException($"{path}: file not found");
        }

        byte[] file = File.ReadAllBytes(path);
        if (file.Length >= 2 && file[0] == 0x1f && file[1] == 0x8b)
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                return ms.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new DatasetException($"{path}: the gzip data is corrupt ({e.Message}); download or reinstall the file", e);
            }
        }

        return file;
    }

    /// <summary>Loads an images file and a labels file into an <see cref="ImageDataset"/> (pixels scaled to [0, 1]).</summary>
    public static ImageDataset Load(string imagesPath, string labelsPath, string name, IReadOnlyList<string> classNames)
    {
        var (dims, pixels) = ReadBytes(imagesPath);
        var (ldims, labels) = ReadBytes(labelsPath);
        if (dims.Length != 3)
        {
            throw new DatasetException($"{imagesPath}: images must be a rank-3 IDX file [count, rows, cols], got rank {dims.Length}");
        }

        if (ldims.Length != 1 || ldims[0] != dims[0])
        {
            throw new DatasetException($"{labelsPath}: {string.Join("x", ldims)} labels do not match {dims[0]} images in {imagesPath}");
        }

        var images = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            images[i] = pixels[i] / 255f;
        }

        var lab = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            lab[i] = labels[i];
            if (lab[i] >= classNames.Count)
            {
                throw new DatasetException($"{labelsPath}: label {lab[i]} at index {i} is outside the {classNames.Count} classes");
            }
        }

        return new ImageDataset(name, images, lab, dims[1], dims[2], 1, classNames);
    }
}
