using EdgeNet.Runtime.Cli;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// Temperature sampling in both programs — edgenet generate's and the trainer's CharRNN.Sample — against
/// softmax(logits / T) computed in the test (chi-square over many draws); tiny temperatures do not underflow.
/// </summary>
[TestClass]
public sealed class TemperatureSamplerTests
{
    /// <summary>Pearson's chi-square of counts against expected probabilities, bins with an expected count under 5 merged.</summary>
    internal static (double Chi2, int Dof) ChiSquare(int[] counts, double[] q, int draws)
    {
        var order = Enumerable.Range(0, q.Length).OrderByDescending(i => q[i]).ToArray();
        var observed = new List<double>();
        var expected = new List<double>();
        double tailObs = 0, tailExp = 0;
        foreach (int i in order)
        {
            if (q[i] * draws >= 5)
            {
                observed.Add(counts[i]);
                expected.Add(q[i] * draws);
            }
            else
            {
                tailObs += counts[i];
                tailExp += q[i] * draws;
            }
        }

        if (tailExp > 0)
        {
            observed.Add(tailObs);
            expected.Add(tailExp);
        }

        double chi2 = observed.Zip(expected, (o, e) => (o - e) * (o - e) / e).Sum();
        return (chi2, observed.Count - 1);
    }

    /// <summary>The 0.999 quantile of chi-square with 1..6 degrees of freedom.</summary>
    internal static readonly double[] Critical999 = [double.NaN, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46];

    [TestMethod]
    [DataRow(0.2)]
    [DataRow(1.2)]
    public void Draws_follow_the_reweighted_distribution(double temperature)
    {
        float[] p = [0.5f, 0.3f, 0.15f, 0.05f];
        double[] w = p.Select(v => Math.Pow(v, 1 / temperature)).ToArray();
        double[] q = w.Select(v => v / w.Sum()).ToArray();
        const int Draws = 40_000;
        var counts = new int[p.Length];
        var rng = new Random(17);
        var scratch = new double[p.Length];
        for (int i = 0; i < Draws; i++)
        {
            counts[TemperatureSampler.Sample(p, temperature, rng, scratch)]++;
        }

        var (chi2, dof) = ChiSquare(counts, q, Draws);
        Assert.IsLessThan(Critical999[dof], chi2, $"T = {temperature}: chi-square {chi2:F2} with {dof} degrees of freedom; counts {string.Join(", ", counts)}");
        if (temperature < 1)
        {
            Assert.IsGreaterThan(0.9 * Draws, counts[0], "a low temperature sharpens towards the most likely index");
        }
    }

    [TestMethod]
    public void A_tiny_temperature_picks_the_most_likely_index_instead_of_underflowing()
    {
        // 0.3^1000 underflows to 0 in double: without scaling every weight is 0 and the last index came out.
        float[] p = [0.3f, 0.2f, 0.25f, 0.25f];
        var rng = new Random(1);
        var scratch = new double[4];
        for (int i = 0; i < 100; i++)
        {
            Assert.AreEqual(0, TemperatureSampler.Sample(p, 0.001, rng, scratch));
        }
    }

    [TestMethod]
    [DataRow(0.2f)]
    [DataRow(1.2f)]
    public void The_trainers_char_model_samples_softmax_of_logits_over_T(float temperature)
    {
        // A small untrained char model: its logits for one window, the expected softmax(logits / T) in double.
        var model = new EdgeNet.Trainer.Models.CharRNN(numChars: 6, units: 8);
        float[] window = [1, 4, 2, 0, 5, 3];
        const int Rows = 1000, Calls = 30;
        var batch = new EdgeNet.Trainer.Tensors.NDArray([.. Enumerable.Range(0, Rows).SelectMany(_ => window)], Rows, window.Length);
        float[] logits;
        using (EdgeNet.Trainer.Tensors.TensorScope.Begin())
        {
            // Build it, then spread the logits (an untrained model's are near 0 and hide what T does).
            model.Predict(new EdgeNet.Trainer.Tensors.NDArray(window, 1, window.Length).ToTensor());
            var kernel = model.Variables[^2];
            kernel.Assign(kernel.Numpy().Select(v => v * 10f).ToArray());
            model.FromLogits = true;
            logits = model.Predict(new EdgeNet.Trainer.Tensors.NDArray(window, 1, window.Length).ToTensor()).ToArray();
            model.FromLogits = false;
        }

        double max = logits.Max();
        double[] e = logits.Select(z => Math.Exp((z - max) / temperature)).ToArray();
        double[] q = e.Select(v => v / e.Sum()).ToArray();
        var counts = new int[6];
        var rng = new Random(23);
        for (int c = 0; c < Calls; c++)
        {
            foreach (int pick in model.Sample(batch, temperature, rng))
            {
                counts[pick]++;
            }
        }

        var (chi2, dof) = ChiSquare(counts, q, Rows * Calls);
        Assert.IsLessThan(Critical999[dof], chi2, $"T = {temperature}: chi-square {chi2:F2} with {dof} degrees of freedom; counts {string.Join(", ", counts)}, expected {string.Join(", ", q.Select(v => (v * Rows * Calls).ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}");
    }
}
