using System.Numerics.Tensors;

namespace EdgeNet.Kernels.Simd;

/// <summary>The losses of <see cref="Reference.Losses"/> with each row's work vectorized (System.Numerics.Tensors).</summary>
internal static class Losses
{
    // input: [rows, cols] logits (fromLogits) or probabilities  labels: [rows]  →  loss: [rows]; probs: [rows, cols] = softmax (logits only)
    public static void SparseCrossEntropy(ReadOnlySpan<float> input, ReadOnlySpan<float> labels, Span<float> loss, Span<float> probs, int rows, int cols, bool fromLogits, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            int label = Reference.Losses.Label(labels[r], r, cols);
            var row = input.Slice(r * cols, cols);
            if (!fromLogits)
            {
                loss[r] = -MathF.Log(Math.Clamp(row[label], eps, 1 - eps));
                continue;
            }

            var p = probs.Slice(r * cols, cols);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, p);
            TensorPrimitives.Exp(p, p);
            float sum = TensorPrimitives.Sum(p);
            TensorPrimitives.Divide(p, sum, p);
            loss[r] = MathF.Log(sum) + max - row[label];
        }
    }

    // dloss: [rows]  →  dinput: [rows, cols]
    public static void SparseCrossEntropyBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> probs, ReadOnlySpan<float> labels, ReadOnlySpan<float> dloss, Span<float> dinput, int rows, int cols, bool fromLogits, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            int label = (int)labels[r];
            var d = dinput.Slice(r * cols, cols);
            if (fromLogits)
            {
                TensorPrimitives.Multiply(probs.Slice(r * cols, cols), dloss[r], d);
                d[label] -= dloss[r];
            }
            else
            {
                d.Clear();
                float p = input[(r * cols) + label];
                d[label] = p < eps || p > 1 - eps ? 0f : -dloss[r] / p;
            }
        }
    }

    // pred, target: [rows, cols]  →  loss: [rows] = mean_c (pred − target)²
    public static void MeanSquaredError(ReadOnlySpan<float> pred, ReadOnlySpan<float> target, Span<float> loss, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var p = pred.Slice(r * cols, cols);
            var t = target.Slice(r * cols, cols);
            float d = TensorPrimitives.Distance(p, t);
            loss[r] = d * d / cols;
        }
    }

    // dloss: [rows]  →  dpred: [rows, cols] = dloss · 2 (pred − target) / cols
    public static void MeanSquaredErrorBackward(ReadOnlySpan<float> pred, ReadOnlySpan<float> target, ReadOnlySpan<float> dloss, Span<float> dpred, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var d = dpred.Slice(r * cols, cols);
            TensorPrimitives.Subtract(pred.Slice(r * cols, cols), target.Slice(r * cols, cols), d);
            TensorPrimitives.Multiply(d, 2f * dloss[r] / cols, d);
        }
    }

    // pred, target: [rows, cols]  →  loss: [rows] = mean_c h(pred − target); scratch: [cols]
    public static void Huber(ReadOnlySpan<float> pred, ReadOnlySpan<float> target, Span<float> loss, int rows, int cols, float delta, Span<float> scratch)
    {
        var e = scratch[..cols];
        for (int r = 0; r < rows; r++)
        {
            // h(e) = q·(|e| − q/2) with q = min(|e|, δ): e²/2 inside δ, δ(|e| − δ/2) outside.
            TensorPrimitives.Subtract(pred.Slice(r * cols, cols), target.Slice(r * cols, cols), e);
            TensorPrimitives.Abs(e, e);
            float s = 0;
            for (int c = 0; c < cols; c++)
            {
                float q = Math.Min(e[c], delta);
                s += q * (e[c] - (0.5f * q));
            }

            loss[r] = s / cols;
        }
    }

    // dloss: [rows]  →  dpred: [rows, cols] = dloss · clamp(pred − target, −δ, δ) / cols
    public static void HuberBackward(ReadOnlySpan<float> pred, ReadOnlySpan<float> target, ReadOnlySpan<float> dloss, Span<float> dpred, int rows, int cols, float delta)
    {
        for (int r = 0; r < rows; r++)
        {
            var d = dpred.Slice(r * cols, cols);
            TensorPrimitives.Subtract(pred.Slice(r * cols, cols), target.Slice(r * cols, cols), d);
            TensorPrimitives.Clamp(d, -delta, delta, d);
            TensorPrimitives.Multiply(d, dloss[r] / cols, d);
        }
    }
}
