using EdgeNet.Formats.Contract;
using System.Numerics.Tensors;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Threading;
using EdgeNet.Kernels.Simd;
using Ref = EdgeNet.Kernels.Reference;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// LSTM over a sequence, last output (Keras gates i, f, g, o). x: [B, T, F]  kernel: [F, 4U]
/// recurrent: [U, 4U]  bias: [4U]  y: [B, U]. Weights may be f32, f16 or int8 (weight-only:
/// dequantized at Prepare; the cell state and all arithmetic are f32, see docs/quantization.md).
/// </summary>
internal sealed unsafe class LstmOp : OpKernel, IParallelWork
{
    private readonly SpinBarrier _barrier = new();
    private float* _x, _zx, _z2, _h0, _h1, _c;
    private int* _ids;
    private bool _oneHot;
    private int _batch;

    private readonly int _t, _f, _u;
    private readonly float[] _k, _r, _b;
    private readonly float[] _kp = [], _rp = [], _bp = [], _zeroBias = [], _kb = [];

    public LstmOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        var x = Inputs[0];
        if (x.SampleRank != 2 || WeightCount != 3)
        {
            throw Fail($"needs x [N, T, F] and kernel, recurrent kernel, bias; got {x.Info.ShapeText}");
        }

        if (Schema.Flag(Op, Attr.ReturnSequences))
        {
            throw Fail("attribute 'return_sequences' is true; this runtime outputs the last step only (export the LSTM with return_sequences=False)");
        }

        if (Weight(0).Dims.Count != 2 || Weight(1).Dims.Count != 2)
        {
            throw Fail($"kernel {Weight(0).ShapeText} and recurrent kernel {Weight(1).ShapeText} must be [F, 4U] and [U, 4U]");
        }

        _t = x.SampleDim(0);
        _f = x.SampleDim(1);
        _u = (int)Weight(1).Dims[0];
        if (Weight(0).Dims[0] != _f || Weight(0).Dims[1] != 4 * _u || Weight(1).Dims[1] != 4 * _u || Weight(2).ElementCount != 4 * _u || Output.SampleElements != _u)
        {
            throw Fail($"weights {Weight(0).ShapeText}, {Weight(1).ShapeText}, {Weight(2).ShapeText} do not fit {_f} features and {_u} units");
        }

        _k = FloatWeight(0);
        _r = FloatWeight(1);
        _b = FloatWeight(2);
        if (Simd)
        {
            _kp = PackedGemm.Pack(_k, _f, 4 * _u);
            _rp = PackedGemm.Pack(_r, _u, 4 * _u);
            _bp = PackedGemm.PadBias(_b, 4 * _u);
            _zeroBias = PackedGemm.PadBias([], 4 * _u);
            _kb = GC.AllocateArray<float>(_f * 4 * _u, pinned: true);
            for (int i = 0; i < _f; i++)
            {
                TensorPrimitives.Add(_k.AsSpan(i * 4 * _u, 4 * _u), _b, _kb.AsSpan(i * 4 * _u, 4 * _u));
            }
        }
    }

    // zx: [B·T, 4U] (x·K + b for every step), z2: [B, 4U]; h0, h1 (double-buffered h), c: [B, U];
    // ids: [B·T] int (the hot index of each one-hot row).
    public override long ScratchBytes(int maxBatch) => (((long)maxBatch * _t * 4 * _u) + (1L * maxBatch * 4 * _u) + (3L * maxBatch * _u) + ((long)maxBatch * _t)) * sizeof(float);

    /// <summary>
    /// Whether every row of x [rows, F] is one-hot (a single exact 1, zeros elsewhere; the
    /// char-LSTM's input): then x·K + b is K's row plus b (<see cref="_kb"/>, prepared once), bit for
    /// bit what the GEMM would give, and no [B·T, 4U] product is formed.
    /// </summary>
    private static bool OneHotRows(float* x, int rows, int f, int* ids)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = new ReadOnlySpan<float>(x + ((long)r * f), f);
            int i = row.IndexOfAnyExcept(0f);
            if (i < 0 || row[i] != 1f || row[(i + 1)..].IndexOfAnyExcept(0f) >= 0)
            {
                return false;
            }

            ids[r] = i;
        }

        return true;
    }

    /// <summary>The recurrence keeps its step's pointers in fields (set by Eval for the chunks): one arena at a time.</summary>
    public override bool Reentrant => false;

    /// <summary>
    /// The whole sequence for units [u0, u1) of chunk <paramref name="chunk"/> (whole panels, so
    /// each thread owns the same columns of every gate): its columns of x·K + b for all B·T rows,
    /// then per step its columns of h·R from the previous h, the cell update of its units into the
    /// other h buffer, and a barrier before the next step reads the whole h.
    /// </summary>
    public void Run(in Frame frame, int chunk, int chunks)
    {
        int nr = PackedGemm.NR, gatePanels = _u / nr;
        int u0 = _u * chunk / chunks, u1 = _u * (chunk + 1) / chunks;
        if (chunks > 1)
        {
            u0 = gatePanels * chunk / chunks * nr;
            u1 = gatePanels * (chunk + 1) / chunks * nr;
        }

        int batch = _batch, g4 = 4 * _u, w = u1 - u0;
        int p0 = u0 / nr, p1 = (u1 + nr - 1) / nr;
        float* zx = _zx, z2 = _z2, c = _c;
        fixed (float* kp = _kp, bp = _bp, rp = _rp, zb = _zeroBias, kb = _kb)
        {
            if (!_oneHot)
            {
                GatePanels(_x, _f, batch * _t, _f, kp, bp, zx, chunks, p0, p1);
            }

            for (int t = 0; t < _t; t++)
            {
                float* hPrev = t % 2 == 0 ? _h0 : _h1, hNext = t % 2 == 0 ? _h1 : _h0;
                GatePanels(hPrev, _u, batch, _u, rp, zb, z2, chunks, p0, p1);

                for (int s = 0; s < batch && w > 0; s++)
                {
                    // The input part: the precomputed K row + b of a one-hot step, else the x·K + b row.
                    float* zt = _oneHot ? kb + ((long)_ids[(s * _t) + t] * g4) : zx + ((((long)s * _t) + t) * g4);
                    Lstm.Update(z2 + ((long)s * g4) + u0, zt + u0, _u, c + ((long)s * _u) + u0, hNext + ((long)s * _u) + u0, w);
                }

                if (chunks > 1)
                {
                    _barrier.SignalAndWait(chunks);
                }
            }
        }
    }

    /// <summary>
    /// y[m, 4U] = a[m, k]·packed + bias over this chunk's panels [p0, p1) of each of the four gates;
    /// one thread does all panels at once (gate panels may then straddle when U is not a multiple of NR).
    /// </summary>
    private void GatePanels(float* a, int lda, int m, int k, float* packed, float* bias, float* y, int chunks, int p0, int p1)
    {
        int g4 = 4 * _u;
        if (chunks == 1)
        {
            PackedGemm.Run(a, lda, m, k, packed, bias, g4, 0, y, g4, 0, PackedGemm.Panels(g4));
            return;
        }

        for (int g = 0; g < 4; g++)
        {
            int off = g * _u / PackedGemm.NR;
            PackedGemm.Run(a, lda, m, k, packed, bias, g4, 0, y, g4, off + p0, off + p1);
        }
    }

    public override void Eval(byte* arena, byte* scratch, int batch, WorkerPool pool)
    {
        float* x = F(arena, Inputs[0]);
        float* zx = (float*)scratch, z2 = zx + ((long)batch * _t * 4 * _u), h = z2 + (batch * 4 * _u), c = h + (2 * batch * _u);
        float* z1 = zx;
        new Span<float>(h, 3 * batch * _u).Clear();
        if (Simd)
        {
            _x = x;
            _zx = zx;
            _z2 = z2;
            _h0 = h;
            _h1 = h + (batch * _u);
            _c = c;
            _batch = batch;
            _ids = (int*)(c + (batch * _u));
            _oneHot = OneHotRows(x, batch * _t, _f, _ids);
            bool split = pool.Threads > 1 && _u % PackedGemm.NR == 0 && _u / PackedGemm.NR >= pool.Threads && batch * _u * 4 * _u >= 1 << 16;
            var frame = new Frame(arena, scratch, batch);
            if (split)
            {
                pool.For(this, frame);
            }
            else
            {
                Run(frame, 0, 1);
            }

            // After an even number of steps the last h is in h0, else in h1.
            h = _t % 2 == 0 ? _h0 : _h1;
        }

        // Reference: one scalar step at a time.
        if (!Simd)
        {
            fixed (float* k = _k, r = _r, b = _b)
            {
                for (int t = 0; t < _t; t++)
                {
                    Ref.Lstm.Step(x, batch, t, _t, _f, k, r, b, _u, h, c, z1);
                }
            }
        }

        Buffer.MemoryCopy(h, F(arena, Output), (long)batch * _u * 4, (long)batch * _u * 4);
    }

}
