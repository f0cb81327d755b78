using System.IO.Compression;
using System.Text;

namespace EdgeNet.Formats.Data;

/// <summary>
/// Reads uint8 arrays from a NumPy .npz archive (a zip of .npy files), as Keras stores
/// <c>~/.keras/datasets/mnist.npz</c> (x_train, y_train, x_test, y_test).
/// </summary>
internal static class Npz
{
    public static Dictionary<string, (int[] Shape, byte[] Data)> ReadUInt8Arrays(string path)
    {
        if (!File.Exists(path))
        {
            throw new DatasetException($"{path}: file not found");
        }

        var result = new Dictionary<string, (int[], byte[])>(StringComparer.Ordinal);
        try
        {
            using var zip = ZipFile.OpenRead(path);
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                {
                    continue;
                }

                using var s = entry.Open();
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                result[entry.FullName[..^4]] = ParseNpy(ms.ToArray(), $"{path}:{entry.FullName}");
            }
        }
        catch (InvalidDataException e)
        {
            throw new DatasetException($"{path}: not a valid .npz (zip) archive: {e.Message}", e);
        }

        return result;
    }

    /// <summary>Parses one .npy (format 1.x/2.x) of dtype uint8, C order.</summary>
    internal static (int[] Shape, byte[] Data) ParseNpy(byte[] b, string name)
    {
        if (b.Length < 10 || b[0] != 0x93 || Encoding.ASCII.GetString(b, 1, 5) != "NUMPY")
        {
            throw new DatasetException($"{name}: not a .npy array (bad magic)");
        }

        int major = b[6];
        int headerLen = major == 1 ? b[8] | (b[9] << 8) : BitConverter.ToInt32(b, 8);
        int start = major == 1 ? 10 : 12;
        if (headerLen < 0 || start + headerLen > b.Length)
        {
            throw new DatasetException($"{name}: .npy header length {headerLen} runs past the file");
        }

        string header = Encoding.ASCII.GetString(b, start, headerLen);
        if (!header.Contains("'descr': '|u1'", StringComparison.Ordinal) && !header.Contains("'descr': '<u1'", StringComparison.Ordinal))
        {
            throw new DatasetException($"{name}: dtype is not uint8 ({header.Trim()}); only uint8 arrays are supported");
        }

        if (header.Contains("'fortran_order': True", StringComparison.Ordinal))
        {
            throw new DatasetException($"{name}: Fortran-ordered arrays are not supported");
        }

        int open = header.IndexOf('(', StringComparison.Ordinal), close = header.IndexOf(')', StringComparison.Ordinal);
        if (open < 0 || close < open)
        {
            throw new DatasetException($"{name}: no shape in the .npy header");
        }

        int[] shape = Array.ConvertAll(header[(open + 1)..close].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture));
        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
        }

        int dataStart = start + headerLen;
        if (b.Length - dataStart != count)
        {
            throw new DatasetException($"{name}: shape ({string.Join(", ", shape)}) needs {count} bytes but {b.Length - dataStart} follow the header");
        }

        return (shape, b.AsSpan(dataStart).ToArray());
    }
}
