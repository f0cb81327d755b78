namespace EdgeNet.Kernels.Reference;

/// <summary>Scalar Dense: y[r, c] = act(Σ_i x[r, i]·w[i, c] + b[c]); the int8 form per the TFLite scheme.</summary>
public static unsafe class Dense
{
    // x: [rows, k]  w: [k, n]  b: [n]  y: [rows, n]
    public static void F32(float* x, int rows, int k, float* w, float* b, int n, int act, float* y)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < n; c++)
            {
                float s = b[c];
                for (int i = 0; i < k; i++)
                {
                    s += x[((long)r * k) + i] * w[((long)i * n) + c];
                }

                y[((long)r * n) + c] = act == 1 ? Math.Max(s, 0f) : s;
            }
        }
    }

    // x: [rows, k] int8 (zero point zx)  w: [k, n] int8 symmetric  bias: [n] int32  requant: [2, n]  y: [rows, n] int8
    public static void Int8(sbyte* x, int rows, int k, int zx, sbyte* w, int* bias, int* requant, int n, int zy, int lo, sbyte* y)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < n; c++)
            {
                int acc = bias[c];
                for (int i = 0; i < k; i++)
                {
                    acc += (x[((long)r * k) + i] - zx) * w[((long)i * n) + c];
                }

                y[((long)r * n) + c] = Requantize.Apply(acc, requant[c], requant[n + c], zy, lo);
            }
        }
    }
}
