using EdgeNet.Kernels.Optim;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>In-place optimizer updates: the shared kernels (<see cref="OptimizerUpdates"/>) on this backend's storage.</summary>
internal sealed partial class CpuBackend
{
    public void AdamUpdate(Storage param, Storage grad, Storage m, Storage v, int n, float lrT, float beta1, float beta2, float epsHat) =>
        OptimizerUpdates.Adam(S(param)[..n], S(grad)[..n], S(m)[..n], S(v)[..n], lrT, beta1, beta2, epsHat);

    public void SgdUpdate(Storage param, Storage grad, Storage? velocity, int n, float lr, float momentum, bool nesterov) =>
        OptimizerUpdates.Sgd(S(param)[..n], S(grad)[..n], velocity is null ? [] : S(velocity)[..n], lr, momentum, nesterov);
}
