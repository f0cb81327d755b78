namespace EdgeNet.Kernels.Reference;

/// <summary>
/// Scalar batch normalization over the last axis (Keras BatchNormalization, axis −1): statistics per
/// channel over every other axis, the normalization, and the backward pass in training mode (batch
/// statistics: the mean and variance depend on x) or in inference mode (fixed statistics). In double.
/// </summary>
internal static class BatchNorm
{
    // x: [rows, c]  →  mean, variance: [c] (biased: divided by rows)
    public static void Moments(ReadOnlySpan<float> x, int rows, int c, Span<float> mean, Span<float> variance)
    {
        for (int j = 0; j < c; j++)
        {
            double s = 0;
            for (int r = 0; r < rows; r++)
            {
                s += x[(r * c) + j];
            }

            double m = s / rows, v = 0;
            for (int r = 0; r < rows; r++)
            {
                double d = x[(r * c) + j] - m;
                v += d * d;
            }

            mean[j] = (float)m;
            variance[j] = (float)(v / rows);
        }
    }

    // x, y: [rows, c]  mean, variance, gamma, beta: [c];  y = (x − mean) / √(variance + eps) · gamma + beta
    public static void Forward(ReadOnlySpan<float> x, int rows, int c, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> y)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < c; j++)
            {
                double inv = 1.0 / Math.Sqrt(variance[j] + (double)eps);
                y[(r * c) + j] = (float)(((x[(r * c) + j] - (double)mean[j]) * inv * gamma[j]) + beta[j]);
            }
        }
    }

    // x, dy: [rows, c]  mean, variance, gamma: [c]  →  dx: [rows, c], dgamma, dbeta: [c].
    // training: the statistics are the batch's own, so dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂));
    // inference: dx = γ/σ · dy. dγ = Σ dy · x̂, dβ = Σ dy in both.
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, int c, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance,
        ReadOnlySpan<float> gamma, float eps, bool training, Span<float> dx, Span<float> dgamma, Span<float> dbeta)
    {
        for (int j = 0; j < c; j++)
        {
            double inv = 1.0 / Math.Sqrt(variance[j] + (double)eps), sdy = 0, sdyx = 0;
            for (int r = 0; r < rows; r++)
            {
                double xh = (x[(r * c) + j] - (double)mean[j]) * inv;
                sdy += dy[(r * c) + j];
                sdyx += dy[(r * c) + j] * xh;
            }

            dgamma[j] = (float)sdyx;
            dbeta[j] = (float)sdy;
            for (int r = 0; r < rows; r++)
            {
                double xh = (x[(r * c) + j] - (double)mean[j]) * inv;
                double g = training ? dy[(r * c) + j] - (sdy / rows) - (xh * sdyx / rows) : dy[(r * c) + j];
                dx[(r * c) + j] = (float)(gamma[j] * inv * g);
            }
        }
    }
}
