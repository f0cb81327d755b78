using EdgeNet.Formats.Enb;
using EdgeNet.Kernels;
using EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// The integer state an int8 Dense or Conv2D prepares: int8 weights [k, n], int32 bias [n] and
/// requantization table [2, n] from the blob; for the SIMD kernels also the packed weights, the
/// bias with the input zero point folded in (bias − zx·Σ_i w[i, c]) and the widened table.
/// </summary>
internal sealed class Int8Layer
{
    public Int8Layer(BlobReader blob, int weights, int bias, int requant, int k, int n, int inputZeroPoint, bool simd, int[]? kMap = null)
    {
        Weights = Pin(blob.GetTensorData<sbyte>(weights));
        Bias = Pin(blob.GetTensorData<int>(bias));
        Requant = Pin(blob.GetTensorData<int>(requant));
        if (!simd)
        {
            return;
        }

        Table = new RequantTable(Requant, n);
        Packed = Int8Gemm.Pack(Weights, k, n, kMap);
        FoldedBias = GC.AllocateArray<int>(Int8Gemm.Panels(n) * Int8Gemm.Lanes, pinned: true);
        for (int c = 0; c < n; c++)
        {
            long sum = 0;
            for (int i = 0; i < k; i++)
            {
                sum += Weights[(i * n) + c];
            }

            // Every input tap carries x − zx (padding is filled with zx), so zx·Σw moves into the bias.
            FoldedBias[c] = checked(Bias[c] - (int)(inputZeroPoint * sum));
        }
    }

    public sbyte[] Weights { get; }

    public int[] Bias { get; }

    public int[] Requant { get; }

    public short[] Packed { get; } = [];

    public int[] FoldedBias { get; } = [];

    public RequantTable? Table { get; }

    internal static T[] Pin<T>(ReadOnlySpan<T> s)
        where T : unmanaged
    {
        var a = GC.AllocateArray<T>(s.Length, pinned: true);
        s.CopyTo(a);
        return a;
    }
}
