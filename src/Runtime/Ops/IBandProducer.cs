namespace EdgeNet.Runtime.Ops;

/// <summary>
/// An operator whose output a following depthwise convolution can have computed a band of rows at a time (depth-first):
/// a pointwise or full Conv2D over NHWC, whose activation is applied as its GEMM stores. MobileNetV2's early expansions
/// write maps of 1.6–4.8 MB (f32, 224²) that overflow L2 on the way to their depthwise convolution; in bands the
/// rows the depthwise convolution reads are still in cache (<see cref="DepthwiseConv2DOp.Fuse"/>).
/// </summary>
internal unsafe interface IBandProducer
{
    /// <summary>False where the operator cannot produce bands (reference kernels, an activation applied after the GEMM).</summary>
    bool ProducesBands { get; }

    /// <summary>Scratch bytes one thread needs to produce <paramref name="pixels"/> output pixels (rows × OW) of one image at once.</summary>
    long BandScratchBytes(int pixels);

    /// <summary>
    /// Output rows [<paramref name="oh0"/>, <paramref name="oh1"/>) of image <paramref name="n"/> into
    /// <paramref name="dst"/> ([oh1 − oh0, OW, F], the output's element type), reading the input from
    /// <paramref name="arena"/>; <paramref name="scratch"/> is this thread's <see cref="BandScratchBytes"/>.
    /// </summary>
    void ProduceRows(byte* arena, int n, int oh0, int oh1, byte* dst, byte* scratch);
}
