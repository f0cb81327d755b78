namespace EdgeNet.Kernels.Reference;

/// <summary>Scalar Dense: y[r, c] = act(Σ_i x[r, i]·w[i, c] + b[c]); the int8 form per the TFLite scheme.</summary>
internal static unsafe class Dense
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

    // dy: [rows, n]  w: [k, n]  →  dx: [rows, k] = dy · wᵀ
    public static void BackwardData(ReadOnlySpan<float> dy, int rows, int n, ReadOnlySpan<float> w, int k, Span<float> dx)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < k; i++)
            {
                float s = 0;
                for (int c = 0; c < n; c++)
                {
                    s += dy[(r * n) + c] * w[(i * n) + c];
                }

                dx[(r * k) + i] = s;
            }
        }
    }

    // x: [rows, k]  dy: [rows, n]  →  dw: [k, n] = xᵀ · dy, db: [n] = Σ_rows dy (added to when accumulate)
    public static void BackwardWeights(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, int k, int n, Span<float> dw, Span<float> db, bool accumulate)
    {
        for (int i = 0; i < k; i++)
        {
            for (int c = 0; c < n; c++)
            {
                float s = accumulate ? dw[(i * n) + c] : 0f;
                for (int r = 0; r < rows; r++)
                {
                    s += x[(r * k) + i] * dy[(r * n) + c];
                }

                dw[(i * n) + c] = s;
            }
        }

        BiasGrad(dy, db, rows, n, accumulate);
    }

    // dy: [rows, n]  →  db: [n] = Σ_rows dy (added to when accumulate)
    public static void BiasGrad(ReadOnlySpan<float> dy, Span<float> db, int rows, int n, bool accumulate)
    {
        for (int c = 0; c < n; c++)
        {
            float s = accumulate ? db[c] : 0f;
            for (int r = 0; r < rows; r++)
            {
                s += dy[(r * n) + c];
            }

            db[c] = s;
        }
    }

    // x: [rows, k] int8 (zero point zx)  w: [k, n] int8 symmetric  bias: [n] int32  requant: [2, n]  y: [rows, n] int8
    public static void Int8(sbyte* x, int rows, int k, int zx, sbyte* w, int* bias, int* requant, int n, int zy, int lo, int hi, sbyte* y)
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

                y[((long)r * n) + c] = Requantize.Layer(acc, Requantize.LayerScale(requant[c], requant[n + c]), zy, lo, hi);
            }
        }
    }
}
