namespace EdgeNet.Kernels.Reference;

/// <summary>Channel moves over NHWC rows (a concatenation, a channel slice, a channel shuffle), for elements of 1 or 4 bytes.</summary>
internal static unsafe class Channels
{
    // x: [rows, xC]; y: [rows, yC]; y[r, yOff + j] = x[r, xOff + j] for j < count (elements of elem bytes)
    public static void Copy(byte* x, int xC, int xOff, byte* y, int yC, int yOff, int count, int rows, int elem)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < count * elem; j++)
            {
                y[((((long)r * yC) + yOff) * elem) + j] = x[((((long)r * xC) + xOff) * elem) + j];
            }
        }
    }

    // x, y: [rows, c]; y[r, k·g + i] = x[r, i·(c/g) + k] (elements of elem bytes)
    public static void Shuffle(byte* x, byte* y, int rows, int c, int groups, int elem)
    {
        int per = c / groups;
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < groups; i++)
            {
                for (int k = 0; k < per; k++)
                {
                    for (int b = 0; b < elem; b++)
                    {
                        y[((((long)r * c) + (k * groups) + i) * elem) + b] = x[((((long)r * c) + (i * per) + k) * elem) + b];
                    }
                }
            }
        }
    }
}
