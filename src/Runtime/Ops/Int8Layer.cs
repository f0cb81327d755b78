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
    public Int8Layer(BlobReader blob, int weights, int bias, int requant, int k, int n, int inputZeroPoint, bool simd, int[]? kMap = null, bool oneRow = false)
    {
        oneRow &= simd && kMap is null && Int8Gemm.GemvSupported;
        Weights = Pin(blob.GetTensorData<sbyte>(weights), oneRow ? Int8Gemm.GemvPadding : 0);
        Bias = Pin(blob.GetTensorData<int>(bias));
        Requant = Pin(blob.GetTensorData<int>(requant));
        if (!simd)
        {
            return;
        }

        Table = new RequantTable(Requant, n);
        Packed = Int8Gemm.Pack(Weights.AsSpan(0, k * n), k, n, kMap);
        Gemv = oneRow && !Weights.AsSpan(0, k * n).Contains(sbyte.MinValue);
        FoldedBias = GC.AllocateArray<int>(Int8Gemm.Panels(n) * Int8Gemm.Lanes, pinned: true);
        // Row-major rows arrive as x + RowOffset (uint8 for vpdpbusd): that much more of every Σw comes off their bias.
        int rowOffset = kMap is null ? Int8Gemm.RowOffset : 0;
        RowBias = rowOffset == 0 ? FoldedBias : GC.AllocateArray<int>(FoldedBias.Length, pinned: true);
        for (int c = 0; c < n; c++)
        {
            long sum = 0;
            for (int i = 0; i < k; i++)
            {
                sum += Weights[(i * n) + c];
            }

            // Every input tap carries x − zx (padding is filled with zx), so zx·Σw moves into the bias.
            FoldedBias[c] = checked(Bias[c] - (int)(inputZeroPoint * sum));
            // Unchecked: the kernel's int32 sums wrap (vpdpbusd as vpaddd), so a bias that wraps still gives the exact result.
            RowBias[c] = unchecked(FoldedBias[c] - (int)(rowOffset * sum));
        }
    }

    /// <summary>The int8 weights [k, n] (followed by <see cref="Int8Gemm.GemvPadding"/> zero bytes for a dense layer on AVX-512BW, which <see cref="Gemv"/> may read).</summary>
    public sbyte[] Weights { get; }

    /// <summary>
    /// Whether a single row runs <see cref="Int8Gemm.Gemv"/> over <see cref="Weights"/>: a dense layer's (oneRow), AVX-512BW,
    /// and no weight −128 (TFLite's symmetric range [−127, 127], so two products still fit an int16).
    /// </summary>
    public bool Gemv { get; }

    public int[] Bias { get; }

    public int[] Requant { get; }

    public short[] Packed { get; } = [];

    public int[] FoldedBias { get; } = [];

    /// <summary>The bias a row-major GEMM (<see cref="Int8Gemm.RunRequantized(void*, int, int, int, short*, int*, int*, RequantTable, int, int, int, sbyte*, int, int)"/>) starts from: <see cref="FoldedBias"/> less <see cref="Int8Gemm.RowOffset"/>·Σw.</summary>
    public int[] RowBias { get; } = [];

    public RequantTable? Table { get; }

    internal static T[] Pin<T>(ReadOnlySpan<T> s, int padding = 0)
        where T : unmanaged
    {
        var a = GC.AllocateArray<T>(s.Length + padding, pinned: true);
        s.CopyTo(a);
        return a;
    }
}
