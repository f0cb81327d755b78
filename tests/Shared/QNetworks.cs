using EdgeNet.Rig.Physics;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Rl;

namespace EdgeNet.Tests.Shared;

/// <summary>Small CartPole Q-network blobs exported by the trainer (random weights, one per seed).</summary>
internal static class QNetworks
{
    public static string Write(string dir, int seed, int actions = 2, QuantizationScheme scheme = QuantizationScheme.F32)
    {
        var agent = new DqnAgent(4, actions, new DqnOptions { Hidden = [24, 24], BatchSize = 32 }, seed);
        string path = Path.Combine(dir, $"q-{seed}-{actions}.enb");
        DqnExport.Export(agent, path, scheme, new CartPoleOptions(), calibrationStates: 200);
        return path;
    }
}
