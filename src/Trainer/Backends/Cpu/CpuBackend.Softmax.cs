using System.Numerics.Tensors;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>Softmax and the cross-entropy losses, forward and backward side by side.</summary>
internal sealed partial class CpuBackend
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

    // y, dy, dx: [rows, cols]
    public void SoftmaxBackward(Storage y, Storage dy, Storage dx, int rows, int cols) => Kernels.Simd.Activations.SoftmaxBackward(S(y), S(dy), S(dx), rows, cols);

    // input: [rows, cols] logits or probabilities; labels, loss: [rows]; probs: [rows, cols] (softmax, logits only)
    public void SparseCrossEntropy(Storage input, Storage labels, Storage loss, Storage probs, int rows, int cols, bool fromLogits, float eps) =>
        Kernels.Simd.Losses.SparseCrossEntropy(S(input), S(labels), S(loss), S(probs), rows, cols, fromLogits, eps);

    public void SparseCrossEntropyBackward(Storage input, Storage probs, Storage labels, Storage dloss, Storage dinput, int rows, int cols, bool fromLogits, float eps) =>
        Kernels.Simd.Losses.SparseCrossEntropyBackward(S(input), S(probs), S(labels), S(dloss), S(dinput), rows, cols, fromLogits, eps);
}
