using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Tests;

/// <summary>
/// Compares tape gradients with central finite differences of L = Σ f(inputs) ⊙ R for a fixed
/// random R, perturbing every input element (or a sample of them for large inputs).
/// </summary>
internal static class GradientCheck
{
    /// <summary>
    /// Each checked element must agree within <paramref name="tol"/>·max(1, |numeric|), and, per input, the
    /// relative error of the whole gradient ‖analytic − numeric‖ / ‖numeric‖ must stay under
    /// <paramref name="relTol"/>: a backward pass off by a factor of 1.1 (relative error 0.1) fails.
    /// </summary>
    public static void Check(string what, Func<Tensor[], Tensor> f, float[][] values, int[][] shapes, int seed = 1, double tol = 2e-2, float eps = 1e-2f, bool[]? differentiable = null, double relTol = 2e-2)
    {
        var vars = values.Select((v, i) => new Variable($"in{i}", Tensor.FromArray(v, shapes[i]))).ToArray();
        float[] r;
        using (var scope = TensorScope.Begin())
        {
            var y = f(vars.Select(v => v.Value).ToArray());
            var rng = new Random(seed);
            r = Enumerable.Range(0, y.Size).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        }

        double Loss()
        {
            using var scope = TensorScope.Begin();
            var y = GradientTape.NoRecord(() => f(vars.Select(v => v.Value).ToArray()));
            var yv = y.ToArray();
            double s = 0;
            for (int i = 0; i < yv.Length; i++)
            {
                s += (double)yv[i] * r[i];
            }

            return s;
        }

        float[][] analytic;
        using (var scope = TensorScope.Begin())
        using (var tape = new GradientTape())
        {
            var y = f(vars.Select(v => v.Value).ToArray());
            var loss = Ops.ReduceSum(Ops.Mul(y, Tensor.FromArray(r, y.Shape)));
            var g = tape.Gradient(loss, vars);
            analytic = g.Select((t, i) => t?.ToArray() ?? new float[values[i].Length]).ToArray();
        }

        var pick = new Random(seed + 7);
        for (int k = 0; k < vars.Length; k++)
        {
            if (differentiable is not null && !differentiable[k])
            {
                continue;
            }

            float[] x = (float[])values[k].Clone();
            var idx = x.Length <= 60 ? Enumerable.Range(0, x.Length) : Enumerable.Range(0, 60).Select(_ => pick.Next(x.Length));
            double diff2 = 0, num2 = 0;
            foreach (int i in idx)
            {
                float orig = x[i];
                x[i] = orig + eps;
                vars[k].Assign(x);
                double plus = Loss();
                x[i] = orig - eps;
                vars[k].Assign(x);
                double minus = Loss();
                x[i] = orig;
                vars[k].Assign(x);
                double numeric = (plus - minus) / (2 * eps);
                double err = Math.Abs(numeric - analytic[k][i]);
                Assert.IsLessThanOrEqualTo(tol * Math.Max(1, Math.Abs(numeric)), err,
                    $"{what}: d/d input{k}[{i}] analytic {analytic[k][i]} vs numeric {numeric}");
                diff2 += err * err;
                num2 += numeric * numeric;
            }

            if (num2 > 1e-12)
            {
                double rel = Math.Sqrt(diff2 / num2);
                Assert.IsLessThanOrEqualTo(relTol, rel, $"{what}: d/d input{k}: relative error of the gradient {rel:E2} (‖analytic − numeric‖ / ‖numeric‖)");
            }
        }
    }

    public static float[] Rand(int n, int seed, float lo = -1, float hi = 1, float avoidAbsBelow = 0)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            do
            {
                v[i] = lo + ((hi - lo) * (float)rng.NextDouble());
            }
            while (Math.Abs(v[i]) < avoidAbsBelow);
        }

        return v;
    }
}
