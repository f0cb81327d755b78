using System.Buffers;
using System.Numerics.Tensors;

namespace EdgeNet.Trainer.Backends.Cpu;

/// <summary>
/// The fused LSTM cell (Keras gate order i, f, g, o), forward and backward side by side. Gate
/// activations are computed a row at a time with System.Numerics.Tensors (SIMD sigmoid/tanh)
/// into one pooled scratch row; the backward pass recomputes them from z instead of storing them.
/// </summary>
internal sealed partial class CpuBackend
{
    /// <summary>act[0..4U) = σ(z_i), σ(z_f), tanh(z_g), σ(z_o) for one row.</summary>
    private static void Gates(ReadOnlySpan<float> z, Span<float> act, int units)
    {
        TensorPrimitives.Sigmoid(z[..(2 * units)], act[..(2 * units)]);
        TensorPrimitives.Tanh(z.Slice(2 * units, units), act.Slice(2 * units, units));
        TensorPrimitives.Sigmoid(z.Slice(3 * units, units), act.Slice(3 * units, units));
    }

    public void LstmCellForward(Storage z, Storage cPrev, Storage h, Storage c, int batch, int units)
    {
        // z: [B, 4U]  cPrev, h, c: [B, U]
        float[] scratch = ArrayPool<float>.Shared.Rent(5 * units);
        try
        {
            var act = scratch.AsSpan(0, 4 * units);
            var tmp = scratch.AsSpan(4 * units, units);
            for (int b = 0; b < batch; b++)
            {
                Gates(S(z).Slice(b * 4 * units, 4 * units), act, units);
                var i = act[..units];
                var f = act.Slice(units, units);
                var g = act.Slice(2 * units, units);
                var o = act.Slice(3 * units, units);
                var cr = S(c).Slice(b * units, units);
                TensorPrimitives.Multiply(f, S(cPrev).Slice(b * units, units), cr);   // c = f·cPrev
                TensorPrimitives.MultiplyAdd(i, g, cr, cr);                            //   + i·g
                TensorPrimitives.Tanh(cr, tmp);
                TensorPrimitives.Multiply(o, tmp, S(h).Slice(b * units, units));       // h = o·tanh(c)
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    public void LstmCellBackward(Storage z, Storage cPrev, Storage c, Storage? dh, Storage? dc, Storage dz, Storage dcPrev, int batch, int units)
    {
        // dz: [B, 4U]  dcPrev: [B, U]; dh, dc may be absent (zero).
        float[] scratch = ArrayPool<float>.Shared.Rent(5 * units);
        try
        {
            var act = scratch.AsSpan(0, 4 * units);
            var tcs = scratch.AsSpan(4 * units, units);
            var zs = S(z);
            var cp = S(cPrev);
            var cs = S(c);
            var dzs = S(dz);
            var dcp = S(dcPrev);
            var dhs = dh is null ? default : S(dh);
            var dcs = dc is null ? default : S(dc);
            for (int b = 0; b < batch; b++)
            {
                Gates(zs.Slice(b * 4 * units, 4 * units), act, units);
                TensorPrimitives.Tanh(cs.Slice(b * units, units), tcs);
                var dzr = dzs.Slice(b * 4 * units, 4 * units);
                int row = b * units;
                for (int u = 0; u < units; u++)
                {
                    int k = row + u;
                    float i = act[u], f = act[units + u], gg = act[(2 * units) + u], o = act[(3 * units) + u];
                    float tc = tcs[u];
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
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }
}
