namespace EdgeNet.Kernels.Reference;

/// <summary>Scalar element-wise addition (a residual connection) and product (squeeze-and-excitation) of two values, float and int8.</summary>
internal static unsafe class Elementwise
{
    // a, b, y: [n]  →  y = act(a + b); act 0 linear, 1 relu, 4 relu6
    public static void Add(float* a, float* b, int n, int act, float* y)
    {
        for (int i = 0; i < n; i++)
        {
            y[i] = Activations.Scalar(act, a[i] + b[i]);
        }
    }

    // a (zero point za), b (zb), y (zy): [n] int8;  ka, kb: the add's f32 scales (Requantize.AddScales of its table [2, 3],
    // ≈ s_a / s_y and s_b / s_y).  y = zy + round_half_even(clamp(f32(a − za)·ka + f32(b − zb)·kb, lo − zy, hi − zy)).
    public static void AddInt8(sbyte* a, int za, sbyte* b, int zb, int n, float ka, float kb, int zy, int lo, int hi, sbyte* y)
    {
        for (int i = 0; i < n; i++)
        {
            y[i] = Requantize.Add(a[i], za, b[i], zb, ka, kb, zy, lo, hi);
        }
    }

    // a, y: [rows, inner]; b: [rows, inner] (same shape, inner = n) or [rows / spatial … , C] — here as the general form:
    // y[r, j] = a[r, j] · b[(r / perB) · inner + j] with perB rows of a per row of b (1: one shape; H·W: b [N, 1, 1, C]).
    public static void Mul(float* a, float* b, int rows, int inner, int perB, float* y)
    {
        for (int r = 0; r < rows; r++)
        {
            float* br = b + ((long)(r / perB) * inner);
            for (int j = 0; j < inner; j++)
            {
                y[((long)r * inner) + j] = a[((long)r * inner) + j] * br[j];
            }
        }
    }

    // a (za), y (zy): [rows, inner] int8; b (zb) as in Mul.  y = clamp(zy + round((a − za)(b − zb) · M), −128, 127), M = q · 2^(shift − 31).
    public static void MulInt8(sbyte* a, int za, sbyte* b, int zb, int rows, int inner, int perB, int multiplier, int shift, int zy, sbyte* y)
    {
        for (int r = 0; r < rows; r++)
        {
            sbyte* br = b + ((long)(r / perB) * inner);
            for (int j = 0; j < inner; j++)
            {
                long i = ((long)r * inner) + j;
                y[i] = Requantize.Apply((a[i] - za) * (br[j] - zb), multiplier, shift, zy, -128, 127);
            }
        }
    }

    // x (zx), y (zy): [n] int8; y = clamp(zy + round((x − zx) · M), −128, 127): a value brought to another scale (before a concatenation)
    public static void RescaleInt8(sbyte* x, int zx, int n, int multiplier, int shift, int zy, sbyte* y)
    {
        for (int i = 0; i < n; i++)
        {
            y[i] = Requantize.Apply(x[i] - zx, multiplier, shift, zy, -128, 127);
        }
    }
}
