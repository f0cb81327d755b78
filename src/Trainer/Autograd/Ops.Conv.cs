using EdgeNet.Formats.Contract;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    /// <summary>
    /// The fused Conv2D layer: y = act(conv(x, kernel) + bias).
    /// x: [B,H,W,C]  kernel: [KH,KW,C,F]  bias: [F]  y: [B,OH,OW,F].
    /// </summary>
    public static Tensor Conv2D(Tensor x, Tensor kernel, Tensor? bias, int strideH, int strideW, bool samePadding, Activation act = Activation.Linear)
    {
        var be = bias is null ? SameBackend(x, kernel) : SameBackend(x, kernel, bias);
        if (x.Rank != 4 || kernel.Rank != 4 || kernel.Shape[2] != x.Shape[3])
        {
            throw new ArgumentException($"Conv2D expects x [batch, height, width, channels] and kernel [kh, kw, channels, filters]; got x {x.Shape}, kernel {kernel.Shape}");
        }

        var g = Conv2DGeometry.Create(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], kernel.Shape[0], kernel.Shape[1], kernel.Shape[3], strideH, strideW, samePadding);
        var y = New(new Shape(g.Batch, g.OutH, g.OutW, g.OutC), be);
        be.Conv2DForward(g, x.Storage, kernel.Storage, y.Storage);
        int rows = g.Batch * g.OutH * g.OutW;
        if (bias is not null)
        {
            be.AddBias(y.Storage, bias.Storage, y.Storage, rows, g.OutC);
        }

        if (act != Activation.Linear)
        {
            be.ActivationForward(act, y.Storage, y.Storage, y.Size);
        }

        Tensor[] inputs = bias is null ? [x, kernel] : [x, kernel, bias];
        if (OpRecording.Active)
        {
            OpRecording.Record(OperatorSchemas.Conv2D.Name, inputs, [y], Attr.Strides.With(strideH, strideW), Attr.Padding.With(samePadding ? "same" : "valid"), Attr.Activation.With(ActName(act)));
        }
        GradientTape.Record(inputs, [y], (grads, need) =>
        {
            var dz = FusedActivationGrad(be, act, y, grads[0]!);

            Tensor? dx = null;
            if (need[0])
            {
                dx = NewLike(x);
                be.Conv2DBackwardData(g, dz.Storage, kernel.Storage, dx.Storage);   // dx: [B,H,W,C]
            }

            var dk = NewLike(kernel);
            be.Conv2DBackwardFilter(g, x.Storage, dz.Storage, dk.Storage);          // dk: [KH,KW,C,F]
            return bias is null ? Grads(dx, dk) : Grads(dx, dk, BiasGrad(be, bias, dz, rows, g.OutC));   // db: [F]
        });
        return y;
    }

    /// <summary>Max pooling over NHWC windows (tf.keras.layers.MaxPool2D). x: [B,H,W,C] → [B,OH,OW,C].</summary>
    public static Tensor MaxPool2D(Tensor x, int poolH, int poolW, int strideH, int strideW, bool samePadding)
    {
        if (x.Rank != 4)
        {
            throw new ArgumentException($"MaxPool2D expects [batch, height, width, channels], got {x.Shape}");
        }

        var g = Conv2DGeometry.Create(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], poolH, poolW, x.Shape[3], strideH, strideW, samePadding);
        var y = New(new Shape(g.Batch, g.OutH, g.OutW, g.OutC), x.Backend);
        x.Backend.MaxPoolForward(g, x.Storage, y.Storage);
        if (OpRecording.Active)
        {
            OpRecording.Record(OperatorSchemas.MaxPool2D.Name, [x], [y], Attr.PoolSize.With(poolH, poolW), Attr.PoolStrides.With(strideH, strideW), Attr.Padding.With(samePadding ? "same" : "valid"));
        }
        GradientTape.Record([x], [y], (grads, need) =>
        {
            var dx = NewLike(x);
            x.Backend.MaxPoolBackward(g, x.Storage, y.Storage, grads[0]!.Storage, dx.Storage);
            return Grads(dx);
        });
        return y;
    }

    /// <summary>
    /// Depthwise convolution (tf.keras.layers.DepthwiseConv2D): y = act(dwconv(x, kernel) + bias).
    /// x: [B,H,W,C]  kernel: [KH,KW,C,M]  bias: [C·M]  y: [B,OH,OW,C·M]; output channel c·M + j reads input channel c.
    /// </summary>
    public static Tensor DepthwiseConv2D(Tensor x, Tensor kernel, Tensor? bias, int strideH, int strideW, bool samePadding, Activation act = Activation.Linear)
    {
        var be = bias is null ? SameBackend(x, kernel) : SameBackend(x, kernel, bias);
        if (x.Rank != 4 || kernel.Rank != 4 || kernel.Shape[2] != x.Shape[3])
        {
            throw new ArgumentException($"DepthwiseConv2D expects x [batch, height, width, channels] and kernel [kh, kw, channels, depth_multiplier]; got x {x.Shape}, kernel {kernel.Shape}");
        }

        int m = kernel.Shape[3];
        var g = Conv2DGeometry.Create(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], kernel.Shape[0], kernel.Shape[1], x.Shape[3] * m, strideH, strideW, samePadding);
        var y = New(new Shape(g.Batch, g.OutH, g.OutW, g.OutC), be);
        be.DepthwiseForward(g, m, x.Storage, kernel.Storage, y.Storage);
        int rows = g.Batch * g.OutH * g.OutW;
        if (bias is not null)
        {
            be.AddBias(y.Storage, bias.Storage, y.Storage, rows, g.OutC);
        }

        if (act != Activation.Linear)
        {
            be.ActivationForward(act, y.Storage, y.Storage, y.Size);
        }

        Tensor[] inputs = bias is null ? [x, kernel] : [x, kernel, bias];
        if (OpRecording.Active)
        {
            OpRecording.Record(OperatorSchemas.DepthwiseConv2D.Name, inputs, [y], Attr.Strides.With(strideH, strideW), Attr.Padding.With(samePadding ? "same" : "valid"), Attr.Activation.With(ActName(act)));
        }

        GradientTape.Record(inputs, [y], (grads, need) =>
        {
            var dz = FusedActivationGrad(be, act, y, grads[0]!);

            Tensor? dx = null;
            if (need[0])
            {
                dx = NewLike(x);
                be.DepthwiseBackwardData(g, m, dz.Storage, kernel.Storage, dx.Storage);   // dx: [B,H,W,C]
            }

            Tensor? dk = null;
            if (need[1])
            {
                dk = NewLike(kernel);
                be.DepthwiseBackwardFilter(g, m, x.Storage, dz.Storage, dk.Storage);      // dk: [KH,KW,C,M]
            }

            return bias is null ? Grads(dx, dk) : Grads(dx, dk, BiasGrad(be, bias, dz, rows, g.OutC));   // db: [C·M]
        });
        return y;
    }
}
