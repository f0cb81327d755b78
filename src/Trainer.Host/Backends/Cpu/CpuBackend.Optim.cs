using System.Runtime.Intrinsics;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>
/// In-place optimizer updates. Optimizer state is flushed to zero below float's smallest normal
/// value (as TensorFlow's flush-to-zero CPU mode does): a weight whose gradient is exactly zero (a
/// dead ReLU unit) decays its momentum geometrically into the subnormal range within ~800 steps,
/// where every multiply takes a microcode assist — Adam over 65k such values ran 34× slower.
/// </summary>
public sealed partial class CpuBackend
{
    /// <summary>float's smallest normal magnitude; state below it is stored as 0.</summary>
    private const float MinNormal = 1.17549435e-38f;

    private static float Flush(float x) => MathF.Abs(x) < MinNormal ? 0f : x;

    private static Vector256<float> Flush(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), Vector256.Create(MinNormal)), Vector256<float>.Zero, x);

    public void AdamUpdate(Storage param, Storage grad, Storage m, Storage v, int n, float lrT, float beta1, float beta2, float epsHat)
    {
        // p, g, m, v: [n]
        var p = S(param);
        var g = S(grad);
        var ms = S(m);
        var vs = S(v);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var b1 = Vector256.Create(beta1);
            var b2 = Vector256.Create(beta2);
            var ob1 = Vector256.Create(1 - beta1);
            var ob2 = Vector256.Create(1 - beta2);
            var lr = Vector256.Create(lrT);
            var eps = Vector256.Create(epsHat);
            for (; i <= n - 8; i += 8)
            {
                var gv = Vector256.Create(g.Slice(i, 8));
                var mv = Flush((b1 * Vector256.Create(ms.Slice(i, 8))) + (ob1 * gv));
                var vv = Flush((b2 * Vector256.Create(vs.Slice(i, 8))) + (ob2 * gv * gv));
                mv.CopyTo(ms.Slice(i, 8));
                vv.CopyTo(vs.Slice(i, 8));
                (Vector256.Create(p.Slice(i, 8)) - (lr * mv / (Vector256.Sqrt(vv) + eps))).CopyTo(p.Slice(i, 8));
            }
        }

        for (; i < n; i++)
        {
            ms[i] = Flush((beta1 * ms[i]) + ((1 - beta1) * g[i]));
            vs[i] = Flush((beta2 * vs[i]) + ((1 - beta2) * g[i] * g[i]));
            p[i] -= lrT * ms[i] / (MathF.Sqrt(vs[i]) + epsHat);
        }
    }

    public void SgdUpdate(Storage param, Storage grad, Storage? velocity, int n, float lr, float momentum, bool nesterov)
    {
        // Keras: v = momentum·v − lr·g; p += v (nesterov: p += momentum·v − lr·g)
        var p = S(param);
        var g = S(grad);
        if (velocity is null || momentum == 0)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(g[..n], -lr, p[..n], p[..n]);
            return;
        }

        var v = S(velocity);
        for (int i = 0; i < n; i++)
        {
            v[i] = Flush((momentum * v[i]) - (lr * g[i]));
            p[i] += nesterov ? (momentum * v[i]) - (lr * g[i]) : v[i];
        }
    }
}
