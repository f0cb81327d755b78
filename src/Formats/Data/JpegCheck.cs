using System.Buffers.Binary;

namespace EdgeNet.Formats.Data;

/// <summary>
/// A JPEG's marker structure checked before it reaches the decoder: StbImageSharp does not return on some
/// truncated headers (it keeps reading past the end), and a camera can hand over a half-written frame. The
/// segments from SOI must fit in the buffer, a frame header (SOFn) must come before the scan (SOS), and an
/// end-of-image marker must follow the scan.
/// </summary>
internal static class JpegCheck
{
    /// <summary>True when <paramref name="data"/> starts like a JPEG (FF D8).</summary>
    public static bool LooksLikeJpeg(ReadOnlySpan<byte> data) => data.Length >= 2 && data[0] == 0xFF && data[1] == 0xD8;

    /// <summary>What is wrong with the JPEG's structure, or null when it may be decoded.</summary>
    public static string? Problem(ReadOnlySpan<byte> data)
    {
        if (!LooksLikeJpeg(data))
        {
            return "not a JPEG (no FF D8 start-of-image marker)";
        }

        bool frameHeader = false;
        int pos = 2;
        while (true)
        {
            while (pos < data.Length && data[pos] == 0xFF && pos + 1 < data.Length && data[pos + 1] == 0xFF)
            {
                pos++; // fill bytes
            }

            if (pos + 4 > data.Length)
            {
                return $"truncated: the header ends at byte {data.Length} inside a marker";
            }

            if (data[pos] != 0xFF)
            {
                return $"corrupt: byte {pos} should start a marker (FF), found {data[pos]:X2}";
            }

            byte marker = data[pos + 1];
            if (marker == 0xD9)
            {
                return "corrupt: end-of-image before any image data";
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                pos += 2;
                continue;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            if (length < 2 || pos + 2 + length > data.Length)
            {
                return $"truncated: segment FF {marker:X2} at byte {pos} needs {length} bytes, {data.Length - pos - 2} remain";
            }

            frameHeader |= marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;
            pos += 2 + length;
            if (marker == 0xDA)
            {
                if (!frameHeader)
                {
                    return "corrupt: image data (SOS) without a frame header (SOF)";
                }

                return data[pos..].IndexOf([(byte)0xFF, (byte)0xD9]) < 0 ? "truncated: no end-of-image marker after the image data" : null;
            }
        }
    }
}
