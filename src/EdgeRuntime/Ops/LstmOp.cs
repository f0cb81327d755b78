using System.Numerics.Tensors;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Kernels.Simd;

namespace EdgeNet.Runtime.Ops;

/// <summary>
/// LSTM over a sequence, last output (Keras gates i, f, g, o). x: [B, T, F]  kernel: [F, 4U]
/// recurrent: [U, 4U]  bias: [4U]  y: [B, U]. Weights may be f32, f16 or int8 (weight-only:
/// dequantized at Prepare; the cell state and all arithmetic are f32, see docs/quantization.md).
/// </summary>
internal sealed unsafe class LstmOp : OpKernel, EdgeNet.Runtime.Interpreter.IParallelWork
{
    private float* _h;
    private float* _z2;
    private int _batch;

    private readonly int _t, _f, _u;
    private readonly float[] _k, _r, _b;
    private readonly float[] _kp = [], _rp = [], _bp = [], _zeroBias = [];

    public LstmOp(OperatorDef op, int index, PrepareContext ctx)
        : base(op, index, ctx)
    {
        var x = Inputs[0];
        if (x.SampleRank != 2 || WeightCount != 3)
        {
            throw Fail($"needs x [N, T, F] and kernel, recurrent kernel, bias; got {x.Info.ShapeText}");
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
        }
    }

    // z1: [B·T, 4U] (x·K + b for every step), z2: [B, 4U]; h, c: [B, U]
    public override long ScratchBytes(int maxBatch) => (((long)maxBatch * _t * 4 * _u) + (1L * maxBatch * 4 * _u) + (2L * maxBatch * _u) + (5L * _u)) * sizeof(float);

    /// <summary>z2 = h·R over the recurrent kernel's panels, split between threads.</summary>
    public void Run(int chunk, int chunks)
    {
        int panels = PackedGemm.Panels(4 * _u);
        fixed (float* rp = _rp, zb = _zeroBias)
        {
            PackedGemm.Run(_h, _u, _batch, _u, rp, zb, 4 * _u, 0, _z2, 4 * _u, panels * chunk / chunks, panels * (chunk + 1) / chunks);
        }
    }

    public override void Eval(byte* arena, byte* scratch, int batch)
    {
        float* x = F(arena, Inputs[0]);
        float* zx = (float*)scratch, z2 = zx + ((long)batch * _t * 4 * _u), h = z2 + (batch * 4 * _u), c = h + (batch * _u), act = c + (batch * _u);
        float* z1 = zx;
        new Span<float>(h, 2 * batch * _u).Clear();
        if (Simd)
        {
            // One GEMM for x·K + b of all B·T rows ([b, t] order, as x is laid out).
            fixed (float* kp = _kp, bp = _bp)
            {
                PackedGemm.Run(x, _f, batch * _t, _f, kp, bp, 4 * _u, 0, zx, 4 * _u, 0, PackedGemm.Panels(4 * _u));
            }
        }

        _h = h;
        _z2 = z2;
        _batch = batch;
        for (int t = 0; t < _t; t++)
        {
            if (Simd)
            {
                if (Pool.Threads > 1 && batch * _u * 4 * _u >= 1 << 16)
                {
                    Pool.For(this);
                }
                else
                {
                    Run(0, 1);
                }

                for (int s = 0; s < batch; s++)
                {
                    var z = new Span<float>(z2 + (s * 4 * _u), 4 * _u);
                    TensorPrimitives.Add(z, new ReadOnlySpan<float>(zx + ((((long)s * _t) + t) * 4 * _u), 4 * _u), z);
                    var a = new Span<float>(act, 4 * _u);
                    TensorPrimitives.Sigmoid(z[..(2 * _u)], a[..(2 * _u)]);
                    TensorPrimitives.Tanh(z.Slice(2 * _u, _u), a.Slice(2 * _u, _u));
                    TensorPrimitives.Sigmoid(z.Slice(3 * _u, _u), a.Slice(3 * _u, _u));
                    var cs = new Span<float>(c + (s * _u), _u);
                    TensorPrimitives.Multiply(a.Slice(_u, _u), cs, cs);
                    TensorPrimitives.MultiplyAdd(a[.._u], a.Slice(2 * _u, _u), cs, cs);
                    var hs = new Span<float>(h + (s * _u), _u);
                    TensorPrimitives.Tanh(cs, hs);
                    TensorPrimitives.Multiply(a.Slice(3 * _u, _u), hs, hs);
                }
            }
            else
            {
                for (int s = 0; s < batch; s++)
                {
                    for (int j = 0; j < 4 * _u; j++)
                    {
                        float acc = _b[j];
                        for (int i = 0; i < _f; i++)
                        {
                            acc += x[(((long)s * _t) + t) * _f + i] * _k[(i * 4 * _u) + j];
                        }

                        for (int i = 0; i < _u; i++)
                        {
                            acc += h[(s * _u) + i] * _r[(i * 4 * _u) + j];
                        }

                        z1[(s * 4 * _u) + j] = acc;
                    }
                }

                for (int s = 0; s < batch; s++)
                {
                    for (int j = 0; j < _u; j++)
                    {
                        float* z = z1 + (s * 4 * _u);
                        float ig = Sig(z[j]), fg = Sig(z[_u + j]), gg = MathF.Tanh(z[(2 * _u) + j]), og = Sig(z[(3 * _u) + j]);
                        float cn = (fg * c[(s * _u) + j]) + (ig * gg);
                        c[(s * _u) + j] = cn;
                        h[(s * _u) + j] = og * MathF.Tanh(cn);
                    }
                }
            }
        }

        Buffer.MemoryCopy(h, F(arena, Output), (long)batch * _u * 4, (long)batch * _u * 4);
    }

    private static float Sig(float v) => 1f / (1f + MathF.Exp(-v));
}
