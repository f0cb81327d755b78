using EdgeNet.Trainer.Keras.Callbacks;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Models;

public partial class Model
{
    /// <summary>Loss and metrics over (x, y) in batches (model.evaluate); metrics are reset first.</summary>
    public Dictionary<string, double> Evaluate(NDArray x, NDArray y, int batchSize = 32, int verbose = 1)
    {
        EnsureCompiled();
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"x has {x.Count} samples but y has {y.Count}");
        }

        var loss = new Metrics.Mean("loss");
        foreach (var m in Metrics)
        {
            m.ResetState();
        }

        for (int start = 0; start < x.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, x.Count - start);
            using var scope = TensorScope.Begin();
            var xb = x.Rows(start, n);
            var yb = y.Rows(start, n);
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
