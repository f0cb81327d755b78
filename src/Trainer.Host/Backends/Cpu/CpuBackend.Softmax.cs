using System.Numerics.Tensors;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>Softmax and the cross-entropy losses, forward and backward side by side.</summary>
public sealed partial class CpuBackend
{
    public void Softmax(Storage x, Storage y, int rows, int cols)
    {
        // x, y: [rows, cols]
        var xs = S(x);
        var ys = S(y);
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.SoftMax(xs.Slice(r * cols, cols), ys.Slice(r * cols, cols));
        }
    }

    public void SoftmaxBackward(Storage y, Storage dy, Storage dx, int rows, int cols)
    {
        var ys = S(y);
        var g = S(dy);
        var d = S(dx);
        for (int r = 0; r < rows; r++)
        {
            var yr = ys.Slice(r * cols, cols);
            var gr = g.Slice(r * cols, cols);
            var dr = d.Slice(r * cols, cols);
            float dot = TensorPrimitives.Dot(yr, gr);
            for (int c = 0; c < cols; c++)
            {
                dr[c] = yr[c] * (gr[c] - dot);
            }
        }
    }

    public void SparseCrossEntropy(Storage input, Storage labels, Storage loss, Storage probs, int rows, int cols, bool fromLogits, float eps)
    {
        // input: [rows, cols] logits or probabilities; labels, loss: [rows]; probs: [rows, cols] (softmax, logits only)
        var x = S(input);
        var l = S(labels);
        var o = S(loss);
        for (int r = 0; r < rows; r++)
        {
            int label = CheckLabel(l[r], r, cols);
            var row = x.Slice(r * cols, cols);
            if (fromLogits)
            {
                var p = S(probs).Slice(r * cols, cols);
                float max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, p);
                TensorPrimitives.Exp(p, p);
                float sum = TensorPrimitives.Sum(p);
                TensorPrimitives.Divide(p, sum, p);
                o[r] = MathF.Log(sum) + max - row[label];
            }
            else
            {
                o[r] = -MathF.Log(Math.Clamp(row[label], eps, 1 - eps));
            }
        }
    }

    public void SparseCrossEntropyBackward(Storage input, Storage probs, Storage labels, Storage dloss, Storage dinput, int rows, int cols, bool fromLogits, float eps)
    {
        var x = S(input);
        var l = S(labels);
        var g = S(dloss);
        var d = S(dinput);
        for (int r = 0; r < rows; r++)
        {
            int label = (int)l[r];
            var dr = d.Slice(r * cols, cols);
            if (fromLogits)
            {
                TensorPrimitives.Multiply(S(probs).Slice(r * cols, cols), g[r], dr);
                dr[label] -= g[r];
            }
            else
            {
                dr.Clear();
                float p = x[(r * cols) + label];
                dr[label] = p < eps || p > 1 - eps ? 0f : -g[r] / p;
            }
        }
    }

    private static int CheckLabel(float value, int row, int cols)
    {
        int label = (int)value;
        if (label < 0 || label >= cols || label != value)
        {
            throw new ArgumentOutOfRangeException(nameof(value), $"label {value} at row {row} is not a class index in 0..{cols - 1}: check that the labels match the model's {cols} outputs");
        }

        return label;
    }
}
