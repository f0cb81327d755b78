using System.Numerics;
using System.Runtime.CompilerServices;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// One LSTM cell update fused into a single pass (Keras gate order i, f, g, o):
/// c = σ(f)·c + σ(i)·tanh(g), h = σ(o)·tanh(c), with each gate's pre-activation the sum of the
/// recurrent part z and the input part t. Vector&lt;float&gt; lanes (8 on x64, 4 on arm64),
/// σ(x) = 1/(1+e^−x), tanh(x) = sign(x)·(1 − 2/(e^2|x| + 1)) (absolute error ~1e-7).
/// </summary>
internal static unsafe class Lstm
{
    /// <summary>
    /// z, t: gate blocks [4][stride] (this call's first unit at offset 0 of each block);
    /// c, h: [w]. Updates c in place and writes h.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Update(float* z, float* t, int stride, float* c, float* h, int w)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int n = Vector<float>.Count;
            for (; j + n <= w; j += n)
            {
                var i = Sigmoid(Vector.Load(z + j) + Vector.Load(t + j));
                var f = Sigmoid(Vector.Load(z + stride + j) + Vector.Load(t + stride + j));
                var g = Tanh(Vector.Load(z + (2 * stride) + j) + Vector.Load(t + (2 * stride) + j));
                var o = Sigmoid(Vector.Load(z + (3 * stride) + j) + Vector.Load(t + (3 * stride) + j));
                var cn = (f * Vector.Load(c + j)) + (i * g);
                cn.Store(c + j);
                (o * Tanh(cn)).Store(h + j);
            }
        }

        for (; j < w; j++)
        {
            float i = Sig(z[j] + t[j]), f = Sig(z[stride + j] + t[stride + j]);
            float g = MathF.Tanh(z[(2 * stride) + j] + t[(2 * stride) + j]), o = Sig(z[(3 * stride) + j] + t[(3 * stride) + j]);
            float cn = (f * c[j]) + (i * g);
            c[j] = cn;
            h[j] = o * MathF.Tanh(cn);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Sigmoid(Vector<float> x) => Vector<float>.One / (Vector<float>.One + Vector.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Tanh(Vector<float> x)
    {
        var a = Vector.Abs(x);
        var r = Vector<float>.One - (Vector.Create(2f) / (Vector.Exp(a + a) + Vector<float>.One));
        return Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), -r, r);
    }

    private static float Sig(float v) => 1f / (1f + MathF.Exp(-v));
}
