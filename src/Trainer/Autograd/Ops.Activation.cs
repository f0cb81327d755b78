using EdgeNet.Formats.Contract;
using EdgeNet.Trainer.Backends;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

public static partial class Ops
{
    /// <summary>max(x, 0), element-wise.</summary>
    public static Tensor Relu(Tensor x) => Activate(x, Activation.Relu);

    /// <summary>1 / (1 + e^-x), element-wise.</summary>
    public static Tensor Sigmoid(Tensor x) => Activate(x, Activation.Sigmoid);

    /// <summary>tanh(x), element-wise.</summary>
    public static Tensor Tanh(Tensor x) => Activate(x, Activation.Tanh);

    /// <summary>min(max(x, 0), 6), element-wise (tf.nn.relu6; Keras ReLU(max_value=6)).</summary>
    public static Tensor Relu6(Tensor x) => Activate(x, Activation.Relu6);

    /// <summary>min(max(x/6 + 1/2, 0), 1), element-wise (Keras 3's hard_sigmoid, PyTorch's Hardsigmoid).</summary>
    public static Tensor HardSigmoid(Tensor x) => Activate(x, Activation.HardSigmoid);

    /// <summary>x · hard_sigmoid(x), element-wise (Keras 3's hard_silu, PyTorch's Hardswish).</summary>
    public static Tensor HardSwish(Tensor x) => Activate(x, Activation.HardSwish);

    /// <summary>x · sigmoid(x), element-wise (tf.nn.silu, swish).</summary>
    public static Tensor Silu(Tensor x) => Activate(x, Activation.Silu);

    /// <summary>The element-wise activation <paramref name="act"/> of <paramref name="x"/> (<see cref="Activation.Linear"/>: x itself).</summary>
    public static Tensor Activate(Tensor x, Activation act)
    {
        if (act == Activation.Linear)
        {
            return x;
        }

        var y = NewLike(x);
        x.Backend.ActivationForward(act, x.Storage, y.Storage, x.Size);
        RecordIfActive(ActName(act), x, y);
        GradientTape.Record([x], [y], (g, need) =>
        {
            var dx = NewLike(x);
            if (act is Activation.HardSwish or Activation.Silu)
            {
                x.Backend.ActivationBackwardFromInput(act, x.Storage, g[0]!.Storage, dx.Storage, x.Size);
            }
            else
            {
                x.Backend.ActivationBackward(act, y.Storage, g[0]!.Storage, dx.Storage, x.Size);
            }

            return Grads(dx);
        });
        return y;
    }

    /// <summary>Softmax over the last axis (tf.nn.softmax).</summary>
    public static Tensor Softmax(Tensor x)
    {
        int cols = x.Shape.Last, rows = x.Shape.Rows;
        var y = NewLike(x);
        x.Backend.Softmax(x.Storage, y.Storage, rows, cols);
        RecordIfActive(OperatorSchemas.Softmax.Name, x, y);
        GradientTape.Record([x], [y], (g, need) =>
        {
            var dx = NewLike(x);
            x.Backend.SoftmaxBackward(y.Storage, g[0]!.Storage, dx.Storage, rows, cols);
            return Grads(dx);
        });
        return y;
    }

    internal static string ActName(Activation act) => act switch
    {
        Activation.Relu => "relu",
        Activation.Sigmoid => "sigmoid",
        Activation.Tanh => "tanh",
        Activation.Relu6 => "relu6",
        Activation.HardSigmoid => OperatorSchemas.HardSigmoid.Name,
        Activation.HardSwish => OperatorSchemas.HardSwish.Name,
        Activation.Silu => OperatorSchemas.Silu.Name,
        _ => "linear",
    };

    /// <summary>Inverted dropout: zeroes a fraction <paramref name="rate"/> and scales the rest by 1/(1−rate).</summary>
    public static Tensor Dropout(Tensor x, float rate, ulong seed)
    {
        if (rate is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "dropout rate must be in [0, 1)");
        }

        var mask = NewLike(x);
        x.Backend.DropoutMask(mask.Storage, x.Size, rate, seed);
        return Mul(x, mask);
    }
}
