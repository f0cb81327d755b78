using System.Runtime.Intrinsics;

namespace EdgeNet.Kernels.Optim;

/// <summary>
/// In-place optimizer updates over flat parameter, gradient and state arrays (the trainer's CPU
/// backend runs them; training on the board will too). Optimizer state is flushed to zero below
/// float's smallest normal value (as TensorFlow's flush-to-zero CPU mode does): a weight whose
/// gradient is exactly zero (a dead ReLU unit) decays its momentum geometrically into the subnormal
/// range within ~800 steps, where every multiply takes a microcode assist — Adam over 65k such
/// values ran 34× slower.
/// </summary>
internal static class OptimizerUpdates
{
    /// <summary>float's smallest normal magnitude; state below it is stored as 0.</summary>
    public const float MinNormal = 1.17549435e-38f;

    private static float Flush(float x) => MathF.Abs(x) < MinNormal ? 0f : x;

    private static Vector256<float> Flush(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), Vector256.Create(MinNormal)), Vector256<float>.Zero, x);

    /// <summary>
    /// Adam (Keras form, bias correction folded into <paramref name="lrT"/> and <paramref name="epsHat"/>):
    /// m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lrT·m / (√v + epsHat).
    /// </summary>
    public static void Adam(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float lrT, float beta1, float beta2, float epsHat)
    {
        // p, g, m, v: [n]
        int n = p.Length;
        if (g.Length < n || m.Length < n || v.Length < n)
        {
            throw new ArgumentException($"Adam: parameter has {n} values but gradient {g.Length}, m {m.Length}, v {v.Length}");
        }

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
                var mv = Flush((b1 * Vector256.Create(m.Slice(i, 8))) + (ob1 * gv));
                var vv = Flush((b2 * Vector256.Create(v.Slice(i, 8))) + (ob2 * gv * gv));
                mv.CopyTo(m.Slice(i, 8));
                vv.CopyTo(v.Slice(i, 8));
                (Vector256.Create(p.Slice(i, 8)) - (lr * mv / (Vector256.Sqrt(vv) + eps))).CopyTo(p.Slice(i, 8));
            }
        }

        for (; i < n; i++)
        {
            m[i] = Flush((beta1 * m[i]) + ((1 - beta1) * g[i]));
            v[i] = Flush((beta2 * v[i]) + ((1 - beta2) * g[i] * g[i]));
            p[i] -= lrT * m[i] / (MathF.Sqrt(v[i]) + epsHat);
        }
    }

    /// <summary>SGD, Keras form: v = momentum·v − lr·g; p += v (nesterov: p += momentum·v − lr·g). No velocity: p −= lr·g.</summary>
    public static void Sgd(Span<float> p, ReadOnlySpan<float> g, Span<float> velocity, float lr, float momentum, bool nesterov)
    {
        // p, g, velocity: [n] (velocity empty when momentum is 0)
        int n = p.Length;
        if (velocity.IsEmpty || momentum == 0)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(g[..n], -lr, p, p);
            return;
        }

        for (int i = 0; i < n; i++)
        {
            velocity[i] = Flush((momentum * velocity[i]) - (lr * g[i]));
            p[i] += nesterov ? (momentum * velocity[i]) - (lr * g[i]) : velocity[i];
        }
    }
}
