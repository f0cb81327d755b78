using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Channel moves over NHWC rows: block copies per row (one copy when the rows are contiguous), and the two-group
/// channel shuffle (ShuffleNet's) as vector interleaves — SSE unpcklps/unpcklbw, NEON zip1/zip2 — of the two halves.
/// </summary>
internal static unsafe class Channels
{
    // x: [rows, xC]; y: [rows, yC]; y[r, yOff + j] = x[r, xOff + j] for j < count (elements of elem bytes)
    public static void Copy(byte* x, int xC, int xOff, byte* y, int yC, int yOff, int count, int rows, int elem)
    {
        if (count == xC && count == yC)
        {
            long bytes = (long)rows * count * elem;
            Buffer.MemoryCopy(x, y, bytes, bytes);
            return;
        }

        long rowBytes = (long)count * elem;
        for (int r = 0; r < rows; r++)
        {
            Buffer.MemoryCopy(x + ((((long)r * xC) + xOff) * elem), y + ((((long)r * yC) + yOff) * elem), rowBytes, rowBytes);
        }
    }

    // x, y: [rows, c]; y[r, k·g + i] = x[r, i·(c/g) + k] (elements of elem bytes)
    public static void Shuffle(byte* x, byte* y, int rows, int c, int groups, int elem)
    {
        int half = c / 2;
        int lanes = 16 / elem;
        if (groups != 2 || half % lanes != 0 || !(Sse2.IsSupported || AdvSimd.Arm64.IsSupported))
        {
            Reference.Channels.Shuffle(x, y, rows, c, groups, elem);
            return;
        }

        // y[2k] = x[k], y[2k + 1] = x[half + k]: the two halves interleaved, a vector of each at a time.
        for (int r = 0; r < rows; r++)
        {
            byte* a = x + ((long)r * c * elem), b = a + ((long)half * elem), o = y + ((long)r * c * elem);
            for (int k = 0; k < half; k += lanes)
            {
                var va = Vector128.Load(a + ((long)k * elem));
                var vb = Vector128.Load(b + ((long)k * elem));
                var (lo, hi) = elem == 4 ? Zip(va.AsSingle(), vb.AsSingle()) : Zip(va, vb);
                lo.Store(o + (2L * k * elem));
                hi.Store(o + (2L * k * elem) + 16);
            }
        }
    }

    private static (Vector128<byte> Lo, Vector128<byte> Hi) Zip(Vector128<float> a, Vector128<float> b) => Sse.IsSupported
        ? (Sse.UnpackLow(a, b).AsByte(), Sse.UnpackHigh(a, b).AsByte())
        : (AdvSimd.Arm64.ZipLow(a, b).AsByte(), AdvSimd.Arm64.ZipHigh(a, b).AsByte());

    private static (Vector128<byte> Lo, Vector128<byte> Hi) Zip(Vector128<byte> a, Vector128<byte> b) => Sse2.IsSupported
        ? (Sse2.UnpackLow(a, b), Sse2.UnpackHigh(a, b))
        : (AdvSimd.Arm64.ZipLow(a, b), AdvSimd.Arm64.ZipHigh(a, b));
}
