using EdgeNet.Trainer.Keras.Callbacks;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Models;

public partial class Model
{
    /// <summary>Loss and metrics over (x, y) in batches (model.evaluate); metrics are reset first.</summary>
    public Dictionary<string, double> Evaluate(NDArray x, NDArray y, int batchSize = 32, int verbose = 1) => Evaluate(new ArrayBatches(x, y), batchSize, verbose);

    /// <summary>Loss and metrics over batches made on demand, in inference mode (BatchNormalization uses its moving statistics).</summary>
    public Dictionary<string, double> Evaluate(IBatchSource data, int batchSize = 32, int verbose = 1)
    {
        EnsureCompiled();
        ArgumentNullException.ThrowIfNull(data);
        int xSize = data.SampleShape.Size, ySize = data.TargetShape.Size;
        float[] xStage = new float[batchSize * xSize], yStage = new float[batchSize * ySize];
        var idx = new int[batchSize];

        var loss = new Metrics.Mean("loss");
        foreach (var m in Metrics)
        {
            m.ResetState();
        }

        for (int start = 0; start < data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - start);
            for (int i = 0; i < n; i++)
            {
                idx[i] = start + i;
            }

            using var scope = TensorScope.Begin();
            data.Fill(idx.AsSpan(0, n), xStage, yStage);
            var xb = Tensor.FromArray(xStage.AsSpan(0, n * xSize), new Shape([n, .. data.SampleShape.Dims]));
            var yb = Tensor.FromArray(yStage.AsSpan(0, n * ySize), new Shape([n, .. data.TargetShape.Dims]));
            GradientTape.NoRecord(() =>
            {
                var yPred = Apply(xb, training: false);
                loss.Update(Loss!.Apply(yb, yPred).Item(), n);
                foreach (var m in Metrics)
                {
                    m.UpdateState(yb, yPred);
                }

                return 0;
            });
        }

        var result = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = loss.Result() };
        foreach (var m in Metrics)
        {
            result[m.Name] = m.Result();
        }

        if (verbose > 0)
        {
            Console.WriteLine("evaluate: " + ProgbarLogger.Format(result));
        }

        return result;
    }
}
