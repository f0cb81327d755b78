using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Backends;

namespace EdgeNet.Trainer.Export;

/// <summary>
/// A plain scalar interpreter of a blob's graph: float ops in float, int8 ops in integers with
/// the requantization of <c>Quantization</c>. It is the reference the exporter measures
/// quantized accuracy with, written independently of the edge runtime's SIMD kernels.
/// </summary>
internal sealed class ReferenceInterpreter
{
    private readonly BlobReader _blob;
    private readonly GraphDef _g;
    private readonly Dictionary<int, float[]> _floatWeights = [];

    public ReferenceInterpreter(BlobReader blob)
    {
        _blob = blob;
        _g = blob.Graph ?? throw new ArgumentException($"{blob.FileName}: the blob has no graph to run");
    }

    /// <summary>Runs a batch of <paramref name="batch"/> samples; returns the graph's first output as floats.</summary>
    public float[] Run(float[] input, int batch, Action<string, float[]>? observe = null)
    {
        var f = new Dictionary<int, float[]>();
        var q = new Dictionary<int, int[]>();
        f[_g.Inputs[0]] = input;
        foreach (var op in _g.Operators)
        {
            int x = op.Inputs[0].Index, y = op.Outputs[0];
            var yv = _g.Values[y];
            int ySize = batch * yv.Dims.Skip(1).Aggregate(1, (a, d) => a * d);
            switch (op.Opcode)
            {
                case Opcode.Quantize when _g.Values[x].Type == ElementType.I8:
                {
                    // A requantization: (x − z_x) rescaled by s_x / s_y.
                    int[] rq = _blob.GetTensorData<int>(op.Inputs[1].Index).ToArray();
                    int zx = _g.Values[x].Quantization.ZeroPoints[0], zy = yv.Quantization.ZeroPoints[0];
                    q[y] = q[x].Select(v => (int)Int8Arithmetic.Requantize(v - zx, rq[0], rq[1], zy, -128, 127)).ToArray();
                    break;
                }

                case Opcode.Concat or Opcode.ChannelSlice or Opcode.ChannelShuffle:
                {
                    int[] ins = op.Inputs.Select(r => r.Index).ToArray();
                    var map = ChannelMap(op, ins.Select(v => _g.Values[v].Dims[^1]).ToArray(), yv.Dims[^1]);
                    int rows = ySize / yv.Dims[^1];
                    if (yv.Type == ElementType.I8)
                    {
                        q[y] = Gather(ins.Select(v => q[v]).ToArray(), rows, map);
                    }
                    else
                    {
                        f[y] = Gather(ins.Select(v => f[v]).ToArray(), rows, map);
                    }

                    break;
                }

                case Opcode.Quantize:
                {
                    var p = yv.Quantization;
                    q[y] = f[x].Select(v => (int)Int8Arithmetic.Quantize(v, p.Scales[0], p.ZeroPoints[0])).ToArray();
                    break;
                }

                case Opcode.Dequantize:
                {
                    var p = _g.Values[x].Quantization;
                    f[y] = q[x].Select(v => Int8Arithmetic.Dequantize(v, p.Scales[0], p.ZeroPoints[0])).ToArray();
                    break;
                }

                case Opcode.Reshape or Opcode.Flatten:
                    if (q.TryGetValue(x, out var qi))
                    {
                        q[y] = qi;
                    }
                    else
                    {
                        f[y] = f[x];
                    }

                    break;
                case Opcode.Dense when yv.Type == ElementType.I8:
                    q[y] = DenseInt8(op, q[x], batch);
                    break;
                case Opcode.Dense:
                    f[y] = DenseFloat(op, f[x], batch);
                    break;
                case Opcode.Conv2D when yv.Type == ElementType.I8:
                    q[y] = ConvInt8(op, q[x], batch);
                    break;
                case Opcode.Conv2D:
                    f[y] = ConvFloat(op, f[x], batch);
                    break;
                case Opcode.DepthwiseConv2D when yv.Type == ElementType.I8:
                    q[y] = DepthwiseInt8(op, q[x], batch);
                    break;
                case Opcode.DepthwiseConv2D:
                    f[y] = DepthwiseFloat(op, f[x], batch);
                    break;
                case Opcode.Add when yv.Type == ElementType.I8:
                    q[y] = AddInt8(op, q[x], q[op.Inputs[1].Index]);
                    break;
                case Opcode.Add:
                {
                    string act = Schema(op).Value(op, Attr.Activation).AsString();
                    var b = f[op.Inputs[1].Index];
                    f[y] = f[x].Select((v, i) => Act(act, v + b[i])).ToArray();
                    break;
                }

                case Opcode.AvgPool2D or Opcode.GlobalAvgPool2D when yv.Type == ElementType.I8:
                    q[y] = AvgPoolInt8(op, q[x], batch);
                    break;
                case Opcode.AvgPool2D or Opcode.GlobalAvgPool2D:
                    f[y] = AvgPool(op, f[x], batch);
                    break;
                case Opcode.MaxPool2D when yv.Type == ElementType.I8:
                    q[y] = MaxPool(op, q[x].Select(v => (float)v).ToArray(), batch).Select(v => (int)v).ToArray();
                    break;
                case Opcode.MaxPool2D:
                    f[y] = MaxPool(op, f[x], batch);
                    break;
                case Opcode.Mul when yv.Type == ElementType.I8:
                    q[y] = MulInt8(op, q[x], q[op.Inputs[1].Index]);
                    break;
                case Opcode.Mul:
                {
                    var (a, b) = (f[x], f[op.Inputs[1].Index]);
                    int c = _g.Values[x].Dims[^1], per = a.Length / batch, perB = b.Length / batch;
                    f[y] = a.Select((v, i) => v * (perB == per ? b[i] : b[((i / per) * perB) + (i % c)])).ToArray();
                    break;
                }

                case Opcode.Relu or Opcode.Tanh or Opcode.Sigmoid or Opcode.HardSigmoid or Opcode.HardSwish or Opcode.Silu when yv.Type == ElementType.I8:
                {
                    // Independently of the blob's lookup table: dequantize, the contract's function, quantize.
                    var fn = ElementwiseFunctions.Of(op.Opcode)!;
                    var (px, py) = (_g.Values[x].Quantization, yv.Quantization);
                    q[y] = q[x].Select(v => (int)Int8Arithmetic.Quantize(fn(Int8Arithmetic.Dequantize(v, px.Scales[0], px.ZeroPoints[0])), py.Scales[0], py.ZeroPoints[0])).ToArray();
                    break;
                }

                case Opcode.HardSigmoid or Opcode.HardSwish or Opcode.Silu:
                    f[y] = f[x].Select(ElementwiseFunctions.Of(op.Opcode)!).ToArray();
                    break;
                case Opcode.Relu:
                    f[y] = f[x].Select(v => Math.Max(v, 0f)).ToArray();
                    break;
                case Opcode.Tanh:
                    f[y] = f[x].Select(MathF.Tanh).ToArray();
                    break;
                case Opcode.Sigmoid:
                    f[y] = f[x].Select(v => 1f / (1f + MathF.Exp(-v))).ToArray();
                    break;
                case Opcode.Softmax:
                    f[y] = Softmax(f[x], yv.Dims[^1]);
                    break;
                case Opcode.OneHot:
                {
                    int depth = yv.Dims[^1];
                    var o = new float[ySize];
                    for (int i = 0; i < f[x].Length; i++)
                    {
                        int c = (int)f[x][i];
                        if (c >= 0 && c < depth)
                        {
                            o[(i * depth) + c] = 1;
                        }
                    }

                    f[y] = o;
                    break;
                }

                case Opcode.Embedding:
                {
                    var table = Weight(op.Inputs[1].Index);
                    int dim = _blob.Tensors[op.Inputs[1].Index].Dims[1] is var d ? (int)d : 0;
                    var o = new float[ySize];
                    for (int i = 0; i < f[x].Length; i++)
                    {
                        Array.Copy(table, (int)f[x][i] * dim, o, i * dim, dim);
                    }

                    f[y] = o;
                    break;
                }

                case Opcode.Lstm:
                    f[y] = Lstm(op, f[x], batch);
                    break;
                default:
                    throw new NotSupportedException($"the reference interpreter has no {op.Opcode}");
            }

            if (observe is not null)
            {
                var p = yv.Quantization;
                observe(yv.Name, f.TryGetValue(y, out var fy) ? fy : q[y].Select(v => Int8Arithmetic.Dequantize(v, p.Scales[0], p.ZeroPoints[0])).ToArray());
            }
        }

        int output = _g.Outputs[0];
        return f.TryGetValue(output, out var r) ? r : throw new InvalidOperationException("the graph's output is not float");
    }

    private float[] Weight(int tensor)
    {
        if (!_floatWeights.TryGetValue(tensor, out var w))
        {
            w = _blob.ReadAsFloat(tensor);
            _floatWeights[tensor] = w;
        }

        return w;
    }

    private static OperatorSchema Schema(OperatorDef op) => OperatorSchemas.Of(op.Opcode);

    private static float Act(string act, float v) => act switch
    {
        "relu" => Math.Max(v, 0f),
        "relu6" => Math.Min(Math.Max(v, 0f), 6f),
        "tanh" => MathF.Tanh(v),
        "sigmoid" => 1f / (1f + MathF.Exp(-v)),
        _ => v,
    };

    private float[] DenseFloat(OperatorDef op, float[] x, int batch)
    {
        var k = _blob.Tensors[op.Inputs[1].Index];
        int inDim = (int)k.Dims[0], units = (int)k.Dims[1];
        var w = Weight(op.Inputs[1].Index);
        var b = op.Inputs.Count > 2 ? Weight(op.Inputs[2].Index) : new float[units];
        string act = Schema(op).Value(op, Attr.Activation).AsString();
        int rows = x.Length / inDim;
        var y = new float[rows * units];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < units; c++)
            {
                double s = b[c];
                for (int i = 0; i < inDim; i++)
                {
                    s += (double)x[(r * inDim) + i] * w[(i * units) + c];
                }

                y[(r * units) + c] = Act(act, (float)s);
            }
        }

        return y;
    }

    private (int Zx, int Zy, (int Lo, int Hi) Clamp, int[] Bias, int[] Mult, int[] Shift, sbyte[] W) IntParams(OperatorDef op)
    {
        var xq = _g.Values[op.Inputs[0].Index].Quantization;
        var yq = _g.Values[op.Outputs[0]].Quantization;
        var requant = _blob.GetTensorData<int>(op.Inputs[3].Index);
        int channels = requant.Length / 2;
        return (xq.ZeroPoints[0], yq.ZeroPoints[0], Bounds(op),
            _blob.GetTensorData<int>(op.Inputs[2].Index).ToArray(), requant[..channels].ToArray(),
            requant[channels..].ToArray(), _blob.GetTensorData<sbyte>(op.Inputs[1].Index).ToArray());
    }

    /// <summary>The int8 clamp of the operator's fused activation on its output.</summary>
    private (int Lo, int Hi) Bounds(OperatorDef op)
    {
        var yq = _g.Values[op.Outputs[0]].Quantization;
        string act = Schema(op).Has(Attr.Activation) ? Schema(op).Value(op, Attr.Activation).AsString() : "linear";
        return Int8Arithmetic.ActivationBounds(act, yq.Scales[0], yq.ZeroPoints[0]) ?? throw new NotSupportedException($"int8 {op.Opcode} with activation {act}");
    }

    private float[] DepthwiseFloat(OperatorDef op, float[] x, int batch)
    {
        var k = _blob.Tensors[op.Inputs[1].Index];   // [KH, KW, 1, C·M]
        var xv = _g.Values[op.Inputs[0].Index];
        int c = xv.Dims[3], f = (int)k.Dims[3], m = f / c;
        var g = ConvGeometry(op, batch, f, (int)k.Dims[0], (int)k.Dims[1]);
        var w = Weight(op.Inputs[1].Index);
        var b = op.Inputs.Count > 2 ? Weight(op.Inputs[2].Index) : new float[f];
        string act = Schema(op).Value(op, Attr.Activation).AsString();
        var y = new float[g.OutputSize];
        Parallel.For(0, g.Batch, img =>
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int o = 0; o < f; o++)
                    {
                        double s = b[o];
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int ih = (oh * g.StrideH) - g.PadTop + kh, iw = (ow * g.StrideW) - g.PadLeft + kw;
                                if (ih >= 0 && ih < g.InH && iw >= 0 && iw < g.InW)
                                {
                                    s += (double)x[((((img * g.InH) + ih) * g.InW) + iw) * c + (o / m)] * w[(((kh * g.KW) + kw) * f) + o];
                                }
                            }
                        }

                        y[((((img * g.OutH) + oh) * g.OutW) + ow) * f + o] = Act(act, (float)s);
                    }
                }
            }
        });
        return y;
    }

    private int[] DepthwiseInt8(OperatorDef op, int[] x, int batch)
    {
        var k = _blob.Tensors[op.Inputs[1].Index];
        var xv = _g.Values[op.Inputs[0].Index];
        int c = xv.Dims[3], f = (int)k.Dims[3], m = f / c;
        var g = ConvGeometry(op, batch, f, (int)k.Dims[0], (int)k.Dims[1]);
        var (zx, zy, clamp, bias, mult, shift, w) = IntParams(op);
        var y = new int[g.OutputSize];
        for (int img = 0; img < g.Batch; img++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int o = 0; o < f; o++)
                    {
                        int acc = bias[o];
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int ih = (oh * g.StrideH) - g.PadTop + kh, iw = (ow * g.StrideW) - g.PadLeft + kw;
                                if (ih >= 0 && ih < g.InH && iw >= 0 && iw < g.InW)
                                {
                                    acc += (x[((((img * g.InH) + ih) * g.InW) + iw) * c + (o / m)] - zx) * w[(((kh * g.KW) + kw) * f) + o];
                                }
                            }
                        }

                        y[((((img * g.OutH) + oh) * g.OutW) + ow) * f + o] = Int8Arithmetic.RequantizeLayer(acc, Int8Arithmetic.LayerScale(mult[o], shift[o]), zy, clamp.Lo, clamp.Hi);
                    }
                }
            }
        }

        return y;
    }

    /// <summary>For each output channel, the (input, channel) it copies: a concatenation, a channel slice, a channel shuffle.</summary>
    private static (int Input, int Channel)[] ChannelMap(OperatorDef op, int[] inC, int outC)
    {
        var schema = Schema(op);
        var map = new (int, int)[outC];
        switch (op.Opcode)
        {
            case Opcode.Concat:
                for (int i = 0, j = 0; i < inC.Length; i++)
                {
                    for (int c = 0; c < inC[i]; c++)
                    {
                        map[j++] = (i, c);
                    }
                }

                break;
            case Opcode.ChannelSlice:
                int begin = (int)schema.Value(op, Attr.Begin).AsInt64();
                for (int j = 0; j < outC; j++)
                {
                    map[j] = (0, begin + j);
                }

                break;
            default:
                int g = (int)schema.Value(op, Attr.Groups).AsInt64(), per = outC / g;
                for (int i = 0; i < g; i++)
                {
                    for (int k = 0; k < per; k++)
                    {
                        map[(k * g) + i] = (0, (i * per) + k);
                    }
                }

                break;
        }

        return map;
    }

    // xs[i]: [rows, C_i]; y: [rows, map.Length], y[r, j] = xs[map[j].Input][r, map[j].Channel]
    private static T[] Gather<T>(T[][] xs, int rows, (int Input, int Channel)[] map)
    {
        var y = new T[rows * map.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < map.Length; j++)
            {
                var (i, c) = map[j];
                y[(r * map.Length) + j] = xs[i][(r * (xs[i].Length / rows)) + c];
            }
        }

        return y;
    }

    private int[] MulInt8(OperatorDef op, int[] a, int[] b)
    {
        int za = _g.Values[op.Inputs[0].Index].Quantization.ZeroPoints[0], zb = _g.Values[op.Inputs[1].Index].Quantization.ZeroPoints[0];
        int zy = _g.Values[op.Outputs[0]].Quantization.ZeroPoints[0];
        var rq = _blob.GetTensorData<int>(op.Inputs[2].Index);
        int c = _g.Values[op.Inputs[0].Index].Dims[^1];
        int samples = a.Length / _g.Values[op.Inputs[0].Index].Dims.Skip(1).Aggregate(1, (p, d) => p * d);
        int per = a.Length / samples, perB = b.Length / samples;
        var y = new int[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            int bi = perB == per ? i : ((i / per) * perB) + (i % c);
            y[i] = Int8Arithmetic.Mul(a[i], za, b[bi], zb, rq[0], rq[1], zy);
        }

        return y;
    }

    private int[] AddInt8(OperatorDef op, int[] a, int[] b)
    {
        int za = _g.Values[op.Inputs[0].Index].Quantization.ZeroPoints[0], zb = _g.Values[op.Inputs[1].Index].Quantization.ZeroPoints[0];
        int zy = _g.Values[op.Outputs[0]].Quantization.ZeroPoints[0];
        var (lo, hi) = Bounds(op);
        var k = Int8Arithmetic.AddScales(_blob.GetTensorData<int>(op.Inputs[2].Index));
        var y = new int[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            y[i] = Int8Arithmetic.Add(a[i], za, b[i], zb, k, zy, lo, hi);
        }

        return y;
    }

    /// <summary>The window of an average pooling: its pool_size/strides/padding, or the whole image for global pooling.</summary>
    private Conv2DGeometry PoolGeometry(OperatorDef op, int batch)
    {
        var xv = _g.Values[op.Inputs[0].Index];
        if (op.Opcode == Opcode.GlobalAvgPool2D)
        {
            return Conv2DGeometry.Global(batch, xv.Dims[1], xv.Dims[2], xv.Dims[3]);
        }

        int[] pool = Schema(op).Ints(op, Attr.PoolSize);
        int[] strides = Schema(op).Ints(op, Attr.PoolStrides);
        return Conv2DGeometry.From(batch, xv.Dims[3], xv.Dims[3], Schema(op).Window(op.Attributes, xv.Dims[1], xv.Dims[2], pool[0], pool[1], strides));
    }

    /// <summary>Each window's taps inside the image: (sum, count) per output element, in the given element type.</summary>
    private static void PoolSums(Conv2DGeometry g, Func<int, double> x, Action<int, double, int> write)
    {
        for (int img = 0; img < g.Batch; img++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int c = 0; c < g.InC; c++)
                    {
                        double s = 0;
                        int n = 0;
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int ih = (oh * g.StrideH) - g.PadTop + kh, iw = (ow * g.StrideW) - g.PadLeft + kw;
                                if (ih >= 0 && ih < g.InH && iw >= 0 && iw < g.InW)
                                {
                                    s += x(((((img * g.InH) + ih) * g.InW) + iw) * g.InC + c);
                                    n++;
                                }
                            }
                        }

                        write(((((img * g.OutH) + oh) * g.OutW) + ow) * g.InC + c, s, n);
                    }
                }
            }
        }
    }

    private float[] AvgPool(OperatorDef op, float[] x, int batch)
    {
        var g = PoolGeometry(op, batch);
        var y = new float[g.OutputSize];
        PoolSums(g, i => x[i], (o, s, n) => y[o] = n == 0 ? 0f : (float)(s / n));
        return y;
    }

    private int[] AvgPoolInt8(OperatorDef op, int[] x, int batch)
    {
        var g = PoolGeometry(op, batch);
        int zx = _g.Values[op.Inputs[0].Index].Quantization.ZeroPoints[0], zy = _g.Values[op.Outputs[0]].Quantization.ZeroPoints[0];
        var table = _blob.GetTensorData<int>(op.Inputs[1].Index).ToArray();
        int taps = table.Length / 2;
        bool global = op.Opcode == Opcode.GlobalAvgPool2D;
        var y = new int[g.OutputSize];
        PoolSums(g, i => x[i] - zx, (o, s, n) =>
        {
            int k = global ? 0 : n - 1;
            y[o] = n == 0 ? zy : Int8Arithmetic.Requantize((int)s, table[k], table[taps + k], zy, -128, 127);
        });
        return y;
    }

    private int[] DenseInt8(OperatorDef op, int[] x, int batch)
    {
        var k = _blob.Tensors[op.Inputs[1].Index];
        int inDim = (int)k.Dims[0], units = (int)k.Dims[1];
        var (zx, zy, (lo, hi), bias, mult, shift, w) = IntParams(op);
        int rows = x.Length / inDim;
        var y = new int[rows * units];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < units; c++)
            {
                int acc = bias[c];
                for (int i = 0; i < inDim; i++)
                {
                    acc += (x[(r * inDim) + i] - zx) * w[(i * units) + c];
                }

                y[(r * units) + c] = Int8Arithmetic.RequantizeLayer(acc, Int8Arithmetic.LayerScale(mult[c], shift[c]), zy, lo, hi);
            }
        }

        return y;
    }

    private Conv2DGeometry ConvGeometry(OperatorDef op, int batch, int outC, int kh, int kw)
    {
        var xv = _g.Values[op.Inputs[0].Index];
        int[] strides = Schema(op).Ints(op, Attr.Strides);
        return Conv2DGeometry.From(batch, xv.Dims[3], outC, Schema(op).Window(op.Attributes, xv.Dims[1], xv.Dims[2], kh, kw, strides));
    }

    private float[] ConvFloat(OperatorDef op, float[] x, int batch)
    {
        var k = _blob.Tensors[op.Inputs[1].Index];
        var g = ConvGeometry(op, batch, (int)k.Dims[3], (int)k.Dims[0], (int)k.Dims[1]);
        var w = Weight(op.Inputs[1].Index);
        var b = op.Inputs.Count > 2 ? Weight(op.Inputs[2].Index) : new float[g.OutC];
        string act = Schema(op).Value(op, Attr.Activation).AsString();
        var y = new float[g.OutputSize];
        Parallel.For(0, g.Batch, img =>
        {
            var patch = new float[g.KH * g.KW * g.InC];
            var acc = new float[g.OutC];
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    Patch(g, img, oh, ow, x, patch, 0f);
                    b.CopyTo(acc, 0);
                    for (int i = 0; i < patch.Length; i++)
                    {
                        if (patch[i] != 0)
                        {
                            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w.AsSpan(i * g.OutC, g.OutC), patch[i], acc, acc);
                        }
                    }

                    int o = (((img * g.OutH) + oh) * g.OutW + ow) * g.OutC;
                    for (int c = 0; c < g.OutC; c++)
                    {
                        y[o + c] = Act(act, acc[c]);
                    }
                }
            }
        });
        return y;
    }

    private int[] ConvInt8(OperatorDef op, int[] x, int batch)
    {
        var k = _blob.Tensors[op.Inputs[1].Index];
        var g = ConvGeometry(op, batch, (int)k.Dims[3], (int)k.Dims[0], (int)k.Dims[1]);
        var (zx, zy, (lo, hi), bias, mult, shift, w8) = IntParams(op);
        int[] w = w8.Select(v => (int)v).ToArray();
        var y = new int[g.OutputSize];
        Parallel.For(0, g.Batch, img =>
        {
            var patch = new int[g.KH * g.KW * g.InC];
            var acc = new int[g.OutC];
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    // Padded taps hold zx, so (x − zx) is 0 there, as in TFLite.
                    Patch(g, img, oh, ow, x, patch, zx);
                    bias.CopyTo(acc, 0);
                    for (int i = 0; i < patch.Length; i++)
                    {
                        int d = patch[i] - zx;
                        if (d != 0)
                        {
                            var wr = w.AsSpan(i * g.OutC, g.OutC);
                            for (int c = 0; c < g.OutC; c++)
                            {
                                acc[c] += d * wr[c];
                            }
                        }
                    }

                    int o = (((img * g.OutH) + oh) * g.OutW + ow) * g.OutC;
                    for (int c = 0; c < g.OutC; c++)
                    {
                        y[o + c] = Int8Arithmetic.RequantizeLayer(acc[c], Int8Arithmetic.LayerScale(mult[c], shift[c]), zy, lo, hi);
                    }
                }
            }
        });
        return y;
    }

    /// <summary>patch[(kh·KW+kw)·C+ci] = x[img, oh·s−pt+kh, ow·s−pl+kw, ci], or <paramref name="pad"/> outside the image.</summary>
    private static void Patch<T>(Conv2DGeometry g, int img, int oh, int ow, T[] x, T[] patch, T pad)
    {
        int p = 0;
        for (int kh = 0; kh < g.KH; kh++)
        {
            int ih = (oh * g.StrideH) - g.PadTop + kh;
            for (int kw = 0; kw < g.KW; kw++)
            {
                int iw = (ow * g.StrideW) - g.PadLeft + kw;
                bool inside = ih >= 0 && ih < g.InH && iw >= 0 && iw < g.InW;
                int src = (((img * g.InH) + ih) * g.InW + iw) * g.InC;
                for (int ci = 0; ci < g.InC; ci++)
                {
                    patch[p++] = inside ? x[src + ci] : pad;
                }
            }
        }
    }

    private float[] MaxPool(OperatorDef op, float[] x, int batch)
    {
        var xv = _g.Values[op.Inputs[0].Index];
        int[] pool = Schema(op).Ints(op, Attr.PoolSize);
        int[] strides = Schema(op).Ints(op, Attr.PoolStrides);
        var g = Conv2DGeometry.From(batch, xv.Dims[3], xv.Dims[3], Schema(op).Window(op.Attributes, xv.Dims[1], xv.Dims[2], pool[0], pool[1], strides));
        var y = new float[g.OutputSize];
        for (int b = 0; b < g.Batch; b++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    for (int c = 0; c < g.InC; c++)
                    {
                        float m = float.NegativeInfinity;
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int ih = (oh * g.StrideH) - g.PadTop + kh, iw = (ow * g.StrideW) - g.PadLeft + kw;
                                if (ih >= 0 && ih < g.InH && iw >= 0 && iw < g.InW)
                                {
                                    m = Math.Max(m, x[((((b * g.InH) + ih) * g.InW + iw) * g.InC) + c]);
                                }
                            }
                        }

                        y[((((b * g.OutH) + oh) * g.OutW + ow) * g.InC) + c] = m;
                    }
                }
            }
        }

        return y;
    }

    private static float[] Softmax(float[] x, int cols)
    {
        var y = new float[x.Length];
        for (int r = 0; r < x.Length / cols; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < cols; c++)
            {
                max = Math.Max(max, x[(r * cols) + c]);
            }

            for (int c = 0; c < cols; c++)
            {
                sum += Math.Exp(x[(r * cols) + c] - max);
            }

            for (int c = 0; c < cols; c++)
            {
                y[(r * cols) + c] = (float)(Math.Exp(x[(r * cols) + c] - max) / sum);
            }
        }

        return y;
    }

    private float[] Lstm(OperatorDef op, float[] x, int batch)
    {
        var xv = _g.Values[op.Inputs[0].Index];
        int steps = xv.Dims[1], features = xv.Dims[2];
        var k = Weight(op.Inputs[1].Index);
        var rk = Weight(op.Inputs[2].Index);
        var b = Weight(op.Inputs[3].Index);
        int units = (int)_blob.Tensors[op.Inputs[2].Index].Dims[0];
        var h = new float[batch * units];
        var c = new float[batch * units];
        var z = new double[4 * units];
        static double Sig(double v) => 1 / (1 + Math.Exp(-v));
        for (int t = 0; t < steps; t++)
        {
            var hn = new float[batch * units];
            for (int s = 0; s < batch; s++)
            {
                for (int j = 0; j < 4 * units; j++)
                {
                    double acc = b[j];
                    for (int i = 0; i < features; i++)
                    {
                        acc += x[(((s * steps) + t) * features) + i] * k[(i * 4 * units) + j];
                    }

                    for (int i = 0; i < units; i++)
                    {
                        acc += h[(s * units) + i] * rk[(i * 4 * units) + j];
                    }

                    z[j] = acc;
                }

                for (int u = 0; u < units; u++)
                {
                    double ig = Sig(z[u]), fg = Sig(z[units + u]), gg = Math.Tanh(z[(2 * units) + u]), og = Sig(z[(3 * units) + u]);
                    double cn = (fg * c[(s * units) + u]) + (ig * gg);
                    c[(s * units) + u] = (float)cn;
                    hn[(s * units) + u] = (float)(og * Math.Tanh(cn));
                }
            }

            h = hn;
        }

        return h;
    }
}
