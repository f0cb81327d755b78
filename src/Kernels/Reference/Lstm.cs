namespace EdgeNet.Kernels.Reference;

/// <summary>The scalar LSTM (Keras gate order i, f, c, o), one time step at a time, from the definitions.</summary>
internal static unsafe class Lstm
{
    /// <summary>
    /// Step <paramref name="t"/> of x [B, T, F]: z = x_t·K + h·R + b, then c = σ(f)·c + σ(i)·tanh(g),
    /// h = σ(o)·tanh(c). k [F, 4U], r [U, 4U], b [4U]; h, c [B, U] updated in place; z [B, 4U] scratch.
    /// </summary>
    public static void Step(float* x, int batch, int t, int steps, int f, float* k, float* r, float* b, int u, float* h, float* c, float* z)
    {
        for (int s = 0; s < batch; s++)
        {
            for (int j = 0; j < 4 * u; j++)
            {
                float acc = b[j];
                for (int i = 0; i < f; i++)
                {
                    acc += x[((((long)s * steps) + t) * f) + i] * k[((long)i * 4 * u) + j];
                }

                for (int i = 0; i < u; i++)
                {
                    acc += h[((long)s * u) + i] * r[((long)i * 4 * u) + j];
                }

                z[((long)s * 4 * u) + j] = acc;
            }
        }

        for (int s = 0; s < batch; s++)
        {
            float* zs = z + ((long)s * 4 * u);
            for (int j = 0; j < u; j++)
            {
                float ig = Sig(zs[j]), fg = Sig(zs[u + j]), gg = MathF.Tanh(zs[(2 * u) + j]), og = Sig(zs[(3 * u) + j]);
                float cn = (fg * c[((long)s * u) + j]) + (ig * gg);
                c[((long)s * u) + j] = cn;
                h[((long)s * u) + j] = og * MathF.Tanh(cn);
            }
        }
    }

    private static float Sig(float v) => 1f / (1f + MathF.Exp(-v));
}
