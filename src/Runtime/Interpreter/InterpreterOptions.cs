namespace EdgeNet.Runtime;

/// <summary>Which kernels an interpreter runs: the same numbers either way (the golden tests hold them to it), at different speeds.</summary>
public enum KernelVariant
{
    /// <summary>Plain scalar kernels: the semantics every optimized kernel must match.</summary>
    Reference,

    /// <summary>Vector kernels (AVX-512/AVX2 on x64, AdvSimd on arm64) chosen at run time.</summary>
    Simd,
}

/// <summary>How an <see cref="Interpreter"/> is planned: batch, kernels, threads, checks.</summary>
public sealed record InterpreterOptions
{
    /// <summary>Largest batch Invoke will be given; the arena is planned for it.</summary>
    public int MaxBatch { get; init; } = 1;

    /// <summary>Reference or SIMD kernels (the default).</summary>
    public KernelVariant Variant { get; init; } = KernelVariant.Simd;

    /// <summary>Worker threads for the large kernels; 1 (the default) keeps the board's other cores free.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// Tests: split every weighted operator's call (Conv2D, DepthwiseConv2D, Dense) between the threads, however small
    /// (the default leaves calls below <see cref="Threading.WorkerPool.MinParallelMacs"/> on the caller), so a tiny
    /// model runs their row- and panel-split paths. Element-wise operators keep their own thresholds.
    /// </summary>
    internal bool SplitEveryCall { get; init; }

    /// <summary>
    /// Let a depthwise convolution compute the convolution before it band by band where that one's output map is
    /// large (at least <see cref="Interpreter.DepthFirstBytes"/> per sample): the band's rows are still in cache when
    /// they are read. The same numbers either way; on by default (SIMD kernels only).
    /// </summary>
    public bool DepthFirst { get; init; } = true;

    /// <summary>
    /// Tests: run every pair that can go depth-first so, however small its map, in bands of one output row (each band
    /// moves the rows it shares with the last and produces new ones: what a large map's bands do), see <see cref="DepthFirst"/>.
    /// </summary>
    internal bool DepthFirstEveryPair { get; init; }

    /// <summary>
    /// The most samples the arena is planned for: a larger batch runs in sub-batches of this size, each thread taking
    /// whole ones on its own arena (one per thread) and the whole batch's input and output staged beside them. Null (the
    /// default) takes the largest whose arena fits <see cref="Interpreter.SubBatchArenaBytes"/>, at least 1; set it to
    /// MaxBatch to run every batch whole. Graphs with an LSTM always run whole batches.
    /// </summary>
    public int? SubBatch { get; init; }

    /// <summary>Check every tensor's xxHash64 when the blob is opened (a corrupt download is refused before it runs); on by default.</summary>
    public bool VerifyTensorHashes { get; init; } = true;

    /// <summary>
    /// Run the graph only up to the value of this name and make it the output (a frozen feature extractor: the
    /// body of a network whose head learns on the board); null runs the whole graph.
    /// </summary>
    public string? OutputValue { get; init; }
}
