using EdgeNet.Formats.Contract;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    /// <summary>Average pooling over NHWC windows (tf.keras.layers.AveragePooling2D; padding not counted). x: [B,H,W,C] → [B,OH,OW,C].</summary>
    public static Tensor AvgPool2D(Tensor x, int poolH, int poolW, int strideH, int strideW, bool samePadding)
    {
        if (x.Rank != 4)
        {
            throw new ArgumentException($"AvgPool2D expects [batch, height, width, channels], got {x.Shape}");
        }

        var g = Conv2DGeometry.Create(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], poolH, poolW, x.Shape[3], strideH, strideW, samePadding);
        var y = New(new Shape(g.Batch, g.OutH, g.OutW, g.OutC), x.Backend);
        x.Backend.AvgPoolForward(g, x.Storage, y.Storage);
        if (OpRecording.Active)
        {
            OpRecording.Record(OperatorSchemas.AvgPool2D.Name, [x], [y], Attr.PoolSize.With(poolH, poolW), Attr.PoolStrides.With(strideH, strideW), Attr.Padding.With(samePadding ? "same" : "valid"));
        }

        GradientTape.Record([x], [y], (grads, need) =>
        {
            var dx = NewLike(x);
            x.Backend.AvgPoolBackward(g, grads[0]!.Storage, dx.Storage);   // dx: [B,H,W,C]
            return Grads(dx);
        });
        return y;
    }

    /// <summary>The mean over height and width (tf.keras.layers.GlobalAveragePooling2D). x: [B,H,W,C] → [B,C].</summary>
    public static Tensor GlobalAvgPool2D(Tensor x)
    {
        if (x.Rank != 4)
        {
            throw new ArgumentException($"GlobalAvgPool2D expects [batch, height, width, channels], got {x.Shape}");
        }

        var g = Conv2DGeometry.Global(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        var y = New(new Shape(g.Batch, g.InC), x.Backend);
        x.Backend.AvgPoolForward(g, x.Storage, y.Storage);
        RecordIfActive(OperatorSchemas.GlobalAvgPool2D.Name, x, y);
        GradientTape.Record([x], [y], (grads, need) =>
        {
            var dx = NewLike(x);
            x.Backend.AvgPoolBackward(g, grads[0]!.Storage, dx.Storage);   // dx: [B,H,W,C], dy / (H·W) everywhere
            return Grads(dx);
        });
        return y;
    }

    /// <summary>The trace kind of <see cref="ZeroPad2D"/>: not an operator of the contract; the exporter folds it into the convolution that reads it.</summary>
    internal const string ZeroPadKind = "zero_pad2d";

    /// <summary>Zeros around each image (tf.keras.layers.ZeroPadding2D). x: [B,H,W,C] → [B,H+top+bottom,W+left+right,C].</summary>
    public static Tensor ZeroPad2D(Tensor x, int top, int bottom, int left, int right)
    {
        if (x.Rank != 4 || top < 0 || bottom < 0 || left < 0 || right < 0)
        {
            throw new ArgumentException($"ZeroPad2D expects [batch, height, width, channels] and paddings >= 0; got {x.Shape} and ({top}, {bottom}), ({left}, {right})");
        }

        int b = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        var y = New(new Shape(b, h + top + bottom, w + left + right, c), x.Backend);
        x.Backend.ZeroPad(x.Storage, y.Storage, b, h, w, c, top, bottom, left, right);
        if (OpRecording.Active)
        {
            OpRecording.Record(ZeroPadKind, [x], [y], Attr.Pads.With(EdgeNet.Formats.Enb.EnbValue.Ints(top, left, bottom, right)));
        }

        GradientTape.Record([x], [y], (grads, need) =>
        {
            var dx = NewLike(x);
            x.Backend.ZeroPadBackward(grads[0]!.Storage, dx.Storage, b, h, w, c, top, bottom, left, right);
            return Grads(dx);
        });
        return y;
    }
}
