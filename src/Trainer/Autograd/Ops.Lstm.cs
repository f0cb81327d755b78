using EdgeNet.Formats.Contract;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    /// <summary>
    /// One LSTM step (tf.keras.layers.LSTMCell), gates i, f, g, o:
    /// z = x·kernel + hPrev·recurrentKernel + bias; c = σ(f)·cPrev + σ(i)·tanh(g); h = σ(o)·tanh(c).
    /// x: [B, in]  hPrev, cPrev: [B, U]  kernel: [in, 4U]  recurrentKernel: [U, 4U]  bias: [4U].
    /// </summary>
    public static (Tensor H, Tensor C) LstmCell(Tensor x, Tensor hPrev, Tensor cPrev, Tensor kernel, Tensor recurrentKernel, Tensor bias)
    {
        var be = SameBackend(x, hPrev, cPrev, kernel, recurrentKernel, bias);
        int batch = x.Shape[0], inDim = x.Shape[1], units = recurrentKernel.Shape[0];
        if (kernel.Shape[0] != inDim || kernel.Shape[1] != 4 * units || hPrev.Shape[1] != units || cPrev.Shape[1] != units)
        {
            throw new ArgumentException($"LstmCell: x {x.Shape}, h {hPrev.Shape}, c {cPrev.Shape}, kernel {kernel.Shape}, recurrent {recurrentKernel.Shape} do not fit {units} units");
        }

        var z = New(new Shape(batch, 4 * units), be);
        be.Gemm(false, false, batch, 4 * units, inDim, 1f, x.Storage, kernel.Storage, 0f, z.Storage);
        be.Gemm(false, false, batch, 4 * units, units, 1f, hPrev.Storage, recurrentKernel.Storage, 1f, z.Storage);
        be.AddBias(z.Storage, bias.Storage, z.Storage, batch, 4 * units);
        var h = New(new Shape(batch, units), be);
        var c = New(new Shape(batch, units), be);
        be.LstmCellForward(z.Storage, cPrev.Storage, h.Storage, c.Storage, batch, units);
        if (OpRecording.Active)
        {
            OpRecording.Record("lstm_cell", [x, hPrev, cPrev, kernel, recurrentKernel, bias], [h, c], Attr.Units.With(units));
        }
        GradientTape.Record([x, hPrev, cPrev, kernel, recurrentKernel, bias], [h, c], (g, need) =>
        {
            var dz = NewLike(z);
            var dcPrev = NewLike(cPrev);
            be.LstmCellBackward(z.Storage, cPrev.Storage, c.Storage, g[0]?.Storage, g[1]?.Storage, dz.Storage, dcPrev.Storage, batch, units);
            Tensor? dx = null;
            if (need[0])
            {
                dx = NewLike(x);
                be.Gemm(false, true, batch, inDim, 4 * units, 1f, dz.Storage, kernel.Storage, 0f, dx.Storage);        // dx = dz·Kᵀ
            }

            var dh = NewLike(hPrev);
            be.Gemm(false, true, batch, units, 4 * units, 1f, dz.Storage, recurrentKernel.Storage, 0f, dh.Storage);   // dh = dz·Rᵀ
            var dk = NewLike(kernel);
            be.Gemm(true, false, inDim, 4 * units, batch, 1f, x.Storage, dz.Storage, 0f, dk.Storage);                 // dK = xᵀ·dz
            var dr = NewLike(recurrentKernel);
            be.Gemm(true, false, units, 4 * units, batch, 1f, hPrev.Storage, dz.Storage, 0f, dr.Storage);             // dR = hᵀ·dz
            var db = NewLike(bias);
            be.BiasGrad(dz.Storage, db.Storage, batch, 4 * units, accumulate: false);
            return Grads(dx, dh, dcPrev, dk, dr, db);
        });
        return (h, c);
    }
}
