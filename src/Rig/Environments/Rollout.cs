using EdgeNet.Rig.Physics;

namespace EdgeNet.Rig.Environments;

/// <summary>
/// Chooses one action per observation for <paramref name="count"/> observations at once
/// (observations: [count, obsSize]; actions: [count]).
/// </summary>
public delegate void BatchPolicy(ReadOnlySpan<float> observations, int count, Span<int> actions);

/// <summary>
/// Runs a policy on many CartPole episodes in lockstep: one batched policy call per tick for all
/// episodes still running, so a greedy evaluation of 100 episodes costs 500 batched forward passes,
/// not 50,000 single ones. Episode <c>i</c> starts from <c>Reset(seed + i)</c>, so results are
/// reproducible and comparable between the trainer and the board runtime.
/// </summary>
public static class Rollout
{
    /// <summary>The return of each of <paramref name="episodes"/> episodes.</summary>
    public static float[] Returns(BatchPolicy policy, CartPoleOptions options, int episodes, int seed)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        var envs = new CartPoleEnv[episodes];
        var returns = new float[episodes];
        var running = new int[episodes];
        int live = episodes;
        for (int i = 0; i < episodes; i++)
        {
            envs[i] = new CartPoleEnv(options);
            envs[i].Reset(unchecked(seed + i));
            running[i] = i;
        }

        const int Obs = 4;
        var obs = new float[episodes * Obs];
        var actions = new int[episodes];
        while (live > 0)
        {
            for (int j = 0; j < live; j++)
            {
                envs[running[j]].Observation.CopyTo(obs.AsSpan(j * Obs, Obs));
            }

            policy(obs.AsSpan(0, live * Obs), live, actions.AsSpan(0, live));
            int kept = 0;
            for (int j = 0; j < live; j++)
            {
                int e = running[j];
                var r = envs[e].Step(actions[j]);
                returns[e] += r.Reward;
                if (!r.Done)
                {
                    running[kept++] = e;
                }
            }

            live = kept;
        }

        return returns;
    }

    /// <summary>Mean of <see cref="Returns"/>.</summary>
    public static double MeanReturn(BatchPolicy policy, CartPoleOptions options, int episodes, int seed)
    {
        double sum = 0;
        foreach (float r in Returns(policy, options, episodes, seed))
        {
            sum += r;
        }

        return sum / episodes;
    }

    /// <summary>Index of the largest of <paramref name="q"/> (the first on ties, as numpy's argmax).</summary>
    public static int ArgMax(ReadOnlySpan<float> q)
    {
        int best = 0;
        for (int i = 1; i < q.Length; i++)
        {
            if (q[i] > q[best])
            {
                best = i;
            }
        }

        return best;
    }
}
