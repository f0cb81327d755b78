namespace EdgeNet.Runtime.Cli;

/// <summary>The chapter's sampling with a temperature: index c with probability ∝ p[c]^(1/T), i.e. softmax(log p / T).</summary>
internal static class TemperatureSampler
{
    /// <summary>One draw from <paramref name="probs"/> reweighted by 1/<paramref name="temperature"/>; <paramref name="weights"/> is scratch of the same length.</summary>
    public static int Sample(ReadOnlySpan<float> probs, double temperature, Random rng, Span<double> weights)
    {
        // Scaled by the largest log-probability first so that small temperatures do not underflow every weight.
        double maxLog = double.NegativeInfinity;
        for (int c = 0; c < probs.Length; c++)
        {
            maxLog = Math.Max(maxLog, Math.Log(Math.Max(probs[c], 1e-30)));
        }

        double sum = 0;
        for (int c = 0; c < probs.Length; c++)
        {
            weights[c] = Math.Exp((Math.Log(Math.Max(probs[c], 1e-30)) - maxLog) / temperature);
            sum += weights[c];
        }

        double u = rng.NextDouble() * sum, acc = 0;
        for (int c = 0; c < probs.Length; c++)
        {
            acc += weights[c];
            if (u < acc)
            {
                return c;
            }
        }

        return probs.Length - 1;
    }
}
