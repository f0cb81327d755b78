using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Models;

public partial class Model
{
    /// <summary>Outputs for every sample of <paramref name="x"/>, computed in batches (model.predict).</summary>
    public NDArray Predict(NDArray x, int batchSize = 32)
    {
        float[]? result = null;
        int[]? outShape = null;
        for (int start = 0; start < x.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, x.Count - start);
            using var scope = TensorScope.Begin();
            var xb = x.Rows(start, n);
            var y = GradientTape.NoRecord(() => Apply(xb, training: false));
            int per = y.Size / n;
            if (result is null)
            {
                outShape = [x.Count, .. y.Shape.AsSpan()[1..].ToArray()];
                result = new float[x.Count * per];
            }

            y.Backend.Download(y.Storage, result.AsSpan(start * per, n * per));
        }

        return result is null ? new NDArray([], 0) : new NDArray(result, outShape!);
    }

    /// <summary>Outputs for one batch tensor without recording gradients.</summary>
    public Tensor Predict(Tensor x) => GradientTape.NoRecord(() => Apply(x, training: false));
}
