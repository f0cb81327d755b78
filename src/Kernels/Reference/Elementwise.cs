namespace EdgeNet.Kernels.Reference;

/// <summary>Scalar element-wise addition (a residual connection) and product (squeeze-and-excitation) of two values, float and int8.</summary>
internal static unsafe class Elementwise
{
    /// <summary>The left shift that gives the int8 addition's operands headroom before their rescaling (TensorFlow Lite's 20).</summary>
    public const int AddLeftShift = 20;

    // a, b, y: [n]  →  y = act(a + b); act 0 linear, 1 relu, 4 relu6
    public static void Add(float* a, float* b, int n, int act, float* y)
    {
        for (int i = 0; i < n; i++)
        {
            y[i] = Activations.Scalar(act, a[i] + b[i]);
        }
    }

    // a (zero point za), b (zb), y (zy): [n] int8;  requant [2, 3]: the multipliers of a, b and the sum, then their shifts.
    // y = clamp(zy + M_y(M_a((a − za)·2^20) + M_b((b − zb)·2^20)), lo, hi), with M_a = s_a / (2·max(s_a, s_b)),
    // M_b likewise and M_y = 2·max(s_a, s_b) / (2^20 · s_y), each round(v · q · 2^(shift − 31)) rounding half up.
    public static void AddInt8(sbyte* a, int za, sbyte* b, int zb, int n, int* requant, int zy, int lo, int hi, sbyte* y)
    {
        for (int i = 0; i < n; i++)
        {
            int sa = Requantize.Multiply((a[i] - za) << AddLeftShift, requant[0], requant[3]);
            int sb = Requantize.Multiply((b[i] - zb) << AddLeftShift, requant[1], requant[4]);
            y[i] = Requantize.Apply(sa + sb, requant[2], requant[5], zy, lo, hi);
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
