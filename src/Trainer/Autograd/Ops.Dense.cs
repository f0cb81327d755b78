using EdgeNet.Formats.Contract;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    /// <summary>Matrix product of 2-D tensors (tf.matmul): [M,K]·[K,N] → [M,N], either side optionally transposed.</summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        var be = SameBackend(a, b);
        if (a.Rank != 2 || b.Rank != 2)
        {
            throw new ArgumentException($"MatMul needs 2-D tensors, got {a.Shape} and {b.Shape}");
        }

        int m = transposeA ? a.Shape[1] : a.Shape[0];
        int k = transposeA ? a.Shape[0] : a.Shape[1];
        int kb = transposeB ? b.Shape[1] : b.Shape[0];
        int n = transposeB ? b.Shape[0] : b.Shape[1];
        if (k != kb)
        {
            throw new ArgumentException($"MatMul: inner dimensions differ: {a.Shape}{(transposeA ? "ᵀ" : "")} · {b.Shape}{(transposeB ? "ᵀ" : "")}");
        }

        var y = New(new Shape(m, n), be);
        RecordIfActive("matmul", a, b, y);
        be.Gemm(transposeA, transposeB, m, n, k, 1f, a.Storage, b.Storage, 0f, y.Storage);
        GradientTape.Record([a, b], [y], (g, need) =>
        {
            var gy = g[0]!;
            // dA = dY·opBᵀ (shaped like A), dB = opAᵀ·dY (shaped like B)
            var da = transposeA ? MatMul(b, gy, transposeB, true) : MatMul(gy, b, false, !transposeB);
            var db = transposeB ? MatMul(gy, a, true, transposeA) : MatMul(a, gy, !transposeA, false);
            return Grads(da, db);
        });
        return y;
    }

    /// <summary>
    /// The fused Dense layer: y = act(x·kernel + bias) over the last axis of x.
    /// x: [..., in]  kernel: [in, units]  bias: [units]  y: [..., units].
    /// </summary>
    public static Tensor Dense(Tensor x, Tensor kernel, Tensor? bias, Activation act)
    {
        var be = bias is null ? SameBackend(x, kernel) : SameBackend(x, kernel, bias);
        int inDim = kernel.Shape[0], units = kernel.Shape[1];
        if (x.Shape.Last != inDim)
        {
            throw new ArgumentException($"Dense expects inputs with last dimension {inDim}, got {x.Shape}");
        }

        int rows = x.Size / inDim;
        var outDims = x.Shape.Dims;
        outDims[^1] = units;
        var y = New(new Shape(outDims), be);
        be.Gemm(false, false, rows, units, inDim, 1f, x.Storage, kernel.Storage, 0f, y.Storage);
        if (bias is not null)
        {
            be.AddBias(y.Storage, bias.Storage, y.Storage, rows, units);
        }

        if (act != Activation.Linear)
        {
            be.ActivationForward(act, y.Storage, y.Storage, y.Size);
        }

        Tensor[] inputs = bias is null ? [x, kernel] : [x, kernel, bias];
        if (OpRecording.Active)
        {
            OpRecording.Record(OperatorSchemas.Dense.Name, inputs, [y], Attr.Units.With(units), Attr.Activation.With(ActName(act)));
        }
        GradientTape.Record(inputs, [y], (g, need) =>
        {
            var dz = FusedActivationGrad(be, act, y, g[0]!);

            Tensor? dx = null;
            if (need[0])
            {
                dx = NewLike(x);
                be.Gemm(false, true, rows, inDim, units, 1f, dz.Storage, kernel.Storage, 0f, dx.Storage);   // dx[rows,in] = dz·Kᵀ
            }

            var dk = NewLike(kernel);
            be.Gemm(true, false, inDim, units, rows, 1f, x.Storage, dz.Storage, 0f, dk.Storage);      // dK[in,units] = xᵀ·dz
            return bias is null ? Grads(dx, dk) : Grads(dx, dk, BiasGrad(be, bias, dz, rows, units));   // db[units] = Σ_rows dz
        });
        return y;
    }
}
