namespace EdgeNet.Runtime.Ops;

/// <summary>
/// Depth-first: the operator before this one (a Conv2D, <see cref="IBandProducer"/>) computes its output a band of rows
/// at a time into this thread's scratch, just before the rows of this convolution that read them, instead of writing
/// its whole map first. MobileNetV2 224² f32: block_1_expand writes 112×112×96 (4.8 MB), which overflows a 2 MB L2 on
/// its way to block_1_depthwise; in bands of ~256 KB both run from L2. The rows two bands share (the kernel's height
/// less its stride) move to the band's start rather than being computed twice.
/// </summary>
internal sealed unsafe partial class DepthwiseConv2DOp
{
    /// <summary>About the bytes of the producer's rows a band holds: a few rows of a large map, well inside L2 beside the weights and the output rows.</summary>
    internal const long BandBytes = 256 * 1024;

    private IBandProducer? _producer;
    private DenseOp? _consumer;   // the pointwise convolution after, fed a band at a time, or null
    private long _outBandBytes;   // one band of this operator's output [bandOutRows, OW, C], rounded to 64 bytes (with a consumer)
    private long _consumerBytes;  // the consumer's scratch for one band, rounded to 64 bytes
    private int _bandOutRows;     // output rows per band
    private long _bandBytes;      // one band [(bandOutRows − 1)·SH + KH rows, W, C], rounded to 64 bytes
    private long _producerBytes;  // the producer's scratch for one band, rounded to 64 bytes

    /// <summary>True when this operator can compute its producer: SIMD kernels, multiplier 1 (bands read the image in place: no bordered copy).</summary>
    internal bool CanComputeProducer => Simd && _m == 1;

    /// <summary>The operator whose output this one computes band by band, or null.</summary>
    internal IBandProducer? Producer => _producer;

    private long BandThreadBytes => _producer is null ? 0 : _bandBytes + _producerBytes + _outBandBytes + _consumerBytes;

    /// <summary>
    /// Computes <paramref name="producer"/>'s output (this operator's input) band by band from now on, bands of about
    /// <paramref name="bandBytes"/> (at least one output row's input rows); call before the arena is planned.
    /// </summary>
    internal void Fuse(IBandProducer producer, long bandBytes)
    {
        if (!CanComputeProducer || !producer.ProducesBands)
        {
            throw Fail("cannot compute its producer depth-first (needs SIMD kernels and depth multiplier 1)");
        }

        long rowBytes = RowBytes;
        int inRows = (int)Math.Clamp(bandBytes / rowBytes, _g.KH, Math.Max(_g.KH, _g.InH));
        _bandOutRows = Math.Clamp(((inRows - _g.KH) / _g.SH) + 1, 1, _g.OutH);
        int held = Math.Min(_g.InH, ((_bandOutRows - 1) * _g.SH) + _g.KH);
        _bandBytes = ((held * rowBytes) + 63) / 64 * 64;
        _producerBytes = (producer.BandScratchBytes(_g.InH * _g.InW) + 63) / 64 * 64;   // enough for a whole image too (EvalWhole)
        _producer = producer;
    }

    /// <summary>
    /// Hands each band of this operator's output straight to <paramref name="consumer"/> (the pointwise convolution that is
    /// its only reader: MobileNetV2's projection) instead of writing the whole map; after <see cref="Fuse"/>.
    /// </summary>
    internal void FuseConsumer(DenseOp consumer)
    {
        if (_producer is null || !consumer.ConsumesBands)
        {
            throw Fail("feeds a consumer band by band only when it computes its producer too, and only a pointwise convolution on SIMD kernels");
        }

        long rows = (long)_bandOutRows * _g.OutW;
        _outBandBytes = ((rows * _f * Output.ElementSize) + 63) / 64 * 64;
        _consumerBytes = (consumer.BandScratchBytes(_g.OutH * _g.OutW) + 63) / 64 * 64;
        _consumer = consumer;
    }

    /// <summary>The pointwise convolution fed band by band, or null.</summary>
    internal DenseOp? Consumer => _consumer;

    /// <summary>One input row [W, C] in bytes.</summary>
    private long RowBytes => (long)_g.InW * _g.InC * Inputs[0].ElementSize;

    /// <summary>
    /// Output rows [oh0, oh1) of image n into y (image n's [OH, OW, C]), a band at a time: the input rows the band reads
    /// that are not yet held are produced into the band buffer behind the held ones (those still needed moved to its
    /// start first), and the depthwise rows read them there, through a pointer placed where the image's row 0 would be.
    /// With a consumer the band's output rows go to a second buffer and the consumer turns them into its own rows.
    /// </summary>
    private void Bands(byte* arena, int n, int oh0, int oh1, byte* y, byte* mine)
    {
        byte* band = mine + PerThreadScratch, producerScratch = band + _bandBytes, outBand = producerScratch + _producerBytes, consumerScratch = outBand + _outBandBytes;
        long outRowBytes = (long)_g.OutW * _f * Output.ElementSize;
        long rowBytes = RowBytes;
        int h0 = 0, h1 = 0;     // input rows [h0, h1) are held at band[0 ..]
        for (int o0 = oh0; o0 < oh1; o0 += _bandOutRows)
        {
            int o1 = Math.Min(oh1, o0 + _bandOutRows);
            int a = Math.Clamp((o0 * _g.SH) - _g.PadTop, 0, _g.InH), b = Math.Clamp(((o1 - 1) * _g.SH) - _g.PadTop + _g.KH, 0, _g.InH);
            if (a >= h1)
            {
                (h0, h1) = (a, a);
            }
            else if (a > h0)
            {
                Buffer.MemoryCopy(band + ((a - h0) * rowBytes), band, _bandBytes, (h1 - a) * rowBytes);
                h0 = a;
            }

            if (b > h1)
            {
                _producer!.ProduceRows(arena, n, h1, b, band + ((h1 - h0) * rowBytes), producerScratch);
                h1 = b;
            }

            // x: the band as image 0 with its row h0 at band[0] (rows outside [h0, h1) are never read); y, with a
            // consumer: the output band as image 0 with its row o0 at outBand[0].
            Rows(band - (h0 * rowBytes), 0, _g, o0, o1, _consumer is null ? y : outBand - (o0 * outRowBytes), mine);
            _consumer?.ConsumeRows(arena, n, o0, o1, outBand, consumerScratch);
        }
    }

    /// <summary>
    /// The producer, this operator and the consumer over whole images, on one thread, through whole maps the caller
    /// provides (depth-first, neither map has a place in the arena): <paramref name="mid"/> [batch, H, W, C] for the
    /// producer's output, <paramref name="own"/> [batch, OH, OW, C·M] for this operator's (the arena's output when there is
    /// no consumer). An observed invocation (int8 calibration) sees every value this way; scratch: this operator's.
    /// </summary>
    internal void EvalWhole(byte* arena, byte* scratch, int batch, byte* mid, byte* own)
    {
        byte* producerScratch = scratch + PerThreadScratch + _bandBytes, consumerScratch = producerScratch + _producerBytes + _outBandBytes;
        long inImage = _g.InH * RowBytes, outImage = (long)_g.OutH * _g.OutW * _f * Output.ElementSize;
        for (int n = 0; n < batch; n++)
        {
            _producer!.ProduceRows(arena, n, 0, _g.InH, mid + (n * inImage), producerScratch);
            Rows(mid + (n * inImage), 0, _g, 0, _g.OutH, own + (n * outImage), scratch);
            _consumer?.ConsumeRows(arena, n, 0, _g.OutH, own + (n * outImage), consumerScratch);
        }
    }
}
