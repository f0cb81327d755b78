namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>The fused LSTM cell (Keras gate order i, f, g, o), forward and backward side by side.</summary>
public sealed partial class CpuBackend
{
    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    public void LstmCellForward(Storage z, Storage cPrev, Storage h, Storage c, int batch, int units)
    {
        // z: [B, 4U]  cPrev, h, c: [B, U]
        var zs = S(z);
        var cp = S(cPrev);
        var hs = S(h);
        var cs = S(c);
        for (int b = 0; b < batch; b++)
        {
            var zr = zs.Slice(b * 4 * units, 4 * units);
            for (int u = 0; u < units; u++)
            {
                float i = Sigmoid(zr[u]);
                float f = Sigmoid(zr[units + u]);
                float gg = MathF.Tanh(zr[(2 * units) + u]);
                float o = Sigmoid(zr[(3 * units) + u]);
                int k = (b * units) + u;
                float cn = (f * cp[k]) + (i * gg);
                cs[k] = cn;
                hs[k] = o * MathF.Tanh(cn);
            }
        }
    }

    public void LstmCellBackward(Storage z, Storage cPrev, Storage c, Storage? dh, Storage? dc, Storage dz, Storage dcPrev, int batch, int units)
    {
        // Gate activations are recomputed from z (cheaper than storing them).
        var zs = S(z);
        var cp = S(cPrev);
        var cs = S(c);
        var dhs = dh is null ? default : S(dh);
        var dcs = dc is null ? default : S(dc);
        var dzs = S(dz);
        var dcp = S(dcPrev);
        for (int b = 0; b < batch; b++)
        {
            var zr = zs.Slice(b * 4 * units, 4 * units);
            var dzr = dzs.Slice(b * 4 * units, 4 * units);
            for (int u = 0; u < units; u++)
            {
                int k = (b * units) + u;
                float i = Sigmoid(zr[u]);
                float f = Sigmoid(zr[units + u]);
                float gg = MathF.Tanh(zr[(2 * units) + u]);
                float o = Sigmoid(zr[(3 * units) + u]);
                float tc = MathF.Tanh(cs[k]);
                float gh = dh is null ? 0f : dhs[k];
                float gc = (dc is null ? 0f : dcs[k]) + (gh * o * (1 - (tc * tc)));
                dzr[u] = gc * gg * i * (1 - i);
                dzr[units + u] = gc * cp[k] * f * (1 - f);
                dzr[(2 * units) + u] = gc * i * (1 - (gg * gg));
                dzr[(3 * units) + u] = gh * tc * o * (1 - o);
                dcp[k] = gc * f;
            }
        }
    }
}
