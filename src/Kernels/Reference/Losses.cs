namespace EdgeNet.Kernels.Reference;

/// <summary>
/// Scalar losses per row (Keras: the mean over the last axis; the batch mean is the caller's), forward and
/// backward side by side. Labels are class indices held as floats (the tensors' element type).
/// </summary>
internal static class Losses
{
    // input: [rows, cols] logits (fromLogits) or probabilities  labels: [rows]  →  loss: [rows]; probs: [rows, cols] = softmax (logits only)
    public static void SparseCrossEntropy(ReadOnlySpan<float> input, ReadOnlySpan<float> labels, Span<float> loss, Span<float> probs, int rows, int cols, bool fromLogits, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            int label = Label(labels[r], r, cols);
            var row = input.Slice(r * cols, cols);
            if (!fromLogits)
            {
                loss[r] = -MathF.Log(Math.Clamp(row[label], eps, 1 - eps));
                continue;
            }

            float max = float.NegativeInfinity, sum = 0;
            for (int c = 0; c < cols; c++)
            {
                max = Math.Max(max, row[c]);
            }

            var p = probs.Slice(r * cols, cols);
            for (int c = 0; c < cols; c++)
            {
                p[c] = MathF.Exp(row[c] - max);
                sum += p[c];
            }

            for (int c = 0; c < cols; c++)
            {
                p[c] /= sum;
            }

            loss[r] = MathF.Log(sum) + max - row[label];
        }
    }

    // dloss: [rows]  →  dinput: [rows, cols] (logits: dloss·(softmax − onehot); probabilities: −dloss/p at the label, 0 where clipped)
    public static void SparseCrossEntropyBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> probs, ReadOnlySpan<float> labels, ReadOnlySpan<float> dloss, Span<float> dinput, int rows, int cols, bool fromLogits, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            int label = (int)labels[r];
            var d = dinput.Slice(r * cols, cols);
            for (int c = 0; c < cols; c++)
            {
                d[c] = fromLogits ? probs[(r * cols) + c] * dloss[r] : 0f;
            }

            if (fromLogits)
            {
                d[label] -= dloss[r];
            }
            else
            {
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
            float s = 0;
            for (int c = 0; c < cols; c++)
            {
                float e = pred[(r * cols) + c] - target[(r * cols) + c];
                s += e * e;
            }

            loss[r] = s / cols;
        }
    }

    // dloss: [rows]  →  dpred: [rows, cols] = dloss · 2 (pred − target) / cols
    public static void MeanSquaredErrorBackward(ReadOnlySpan<float> pred, ReadOnlySpan<float> target, ReadOnlySpan<float> dloss, Span<float> dpred, int rows, int cols)
    {
        for (int i = 0; i < rows * cols; i++)
        {
            dpred[i] = dloss[i / cols] * 2f * (pred[i] - target[i]) / cols;
        }
    }

    // pred, target: [rows, cols]  →  loss: [rows] = mean_c h(pred − target), h(e) = e²/2 for |e| ≤ δ, else δ(|e| − δ/2)
    public static void Huber(ReadOnlySpan<float> pred, ReadOnlySpan<float> target, Span<float> loss, int rows, int cols, float delta)
    {
        for (int r = 0; r < rows; r++)
        {
            float s = 0;
            for (int c = 0; c < cols; c++)
            {
                float e = MathF.Abs(pred[(r * cols) + c] - target[(r * cols) + c]);
                s += e <= delta ? 0.5f * e * e : delta * (e - (0.5f * delta));
            }

            loss[r] = s / cols;
        }
    }

    // dloss: [rows]  →  dpred: [rows, cols] = dloss · clamp(pred − target, −δ, δ) / cols
    public static void HuberBackward(ReadOnlySpan<float> pred, ReadOnlySpan<float> target, ReadOnlySpan<float> dloss, Span<float> dpred, int rows, int cols, float delta)
    {
        for (int i = 0; i < rows * cols; i++)
        {
            dpred[i] = dloss[i / cols] * Math.Clamp(pred[i] - target[i], -delta, delta) / cols;
        }
    }

    // The DQN's TD loss. pred: [rows, cols] Q-values  targets: [rows, 2] = (action taken, TD target y)
    // →  loss: [rows] = h(pred[r, a] − y) (the Huber function of the taken action's error; no mean over cols)
    public static void HuberAtAction(ReadOnlySpan<float> pred, ReadOnlySpan<float> targets, Span<float> loss, int rows, int cols, float delta)
    {
        for (int r = 0; r < rows; r++)
        {
            int a = Label(targets[2 * r], r, cols);
            float e = MathF.Abs(pred[(r * cols) + a] - targets[(2 * r) + 1]);
            loss[r] = e <= delta ? 0.5f * e * e : delta * (e - (0.5f * delta));
        }
    }

    // dloss: [rows]  →  dpred: [rows, cols], zero but at the taken action: dloss · clamp(pred[r, a] − y, −δ, δ)
    public static void HuberAtActionBackward(ReadOnlySpan<float> pred, ReadOnlySpan<float> targets, ReadOnlySpan<float> dloss, Span<float> dpred, int rows, int cols, float delta)
    {
        dpred[..(rows * cols)].Clear();
        for (int r = 0; r < rows; r++)
        {
            int a = (int)targets[2 * r];
            dpred[(r * cols) + a] = dloss[r] * Math.Clamp(pred[(r * cols) + a] - targets[(2 * r) + 1], -delta, delta);
        }
    }

    /// <summary>The class index a label holds, or an error that names the row and the model's class count.</summary>
    public static int Label(float value, int row, int cols)
    {
        int label = (int)value;
        if (label < 0 || label >= cols || label != value)
        {
            throw new ArgumentOutOfRangeException(nameof(value), $"label {value} at row {row} is not a class index in 0..{cols - 1}: check that the labels match the model's {cols} outputs");
        }

        return label;
    }
}
