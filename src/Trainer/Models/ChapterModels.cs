using System.Runtime.CompilerServices;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Models;

/// <summary>Registers the chapter's subclassed models with <see cref="ModelRegistry"/>, so <see cref="Model.Load"/> rebuilds them from a checkpoint.</summary>
public static class ChapterModels
{
#pragma warning disable CA2255 // The trainer is an application; its models must be loadable before any of them is touched.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        ModelRegistry.Register(nameof(MLP), r => Built(new MLP(), new Shape(1, 28, 28, 1)), "mlp");
        ModelRegistry.Register(nameof(CNN), r => Built(new CNN(), new Shape(1, 28, 28, 1)), "cnn");
        ModelRegistry.Register(nameof(CharRNN), r => Built(CharRnnFrom(r), new Shape(1, 2)), "rnn");
        ModelRegistry.Register(nameof(QNetwork), r => Built(new QNetwork(), new Shape(1, 4)), "q_network");
    }

    /// <summary>The char LSTM sized by the checkpoint: vocabulary from the embedding rows, units from the recurrent kernel.</summary>
    private static CharRNN CharRnnFrom(EdgeNet.Formats.Enb.BlobReader r)
    {
        var recurrent = r.Tensors.First(t => t.Name.EndsWith("/recurrent_kernel", StringComparison.Ordinal));
        int vocabulary = (int)r.Tensors[r.FindTensor(recurrent.Name) - 1].Dims[0];
        return new CharRNN(vocabulary, (int)recurrent.Dims[0]);
    }

    /// <summary>Builds the variables with the saved shapes: one forward pass on a zero batch.</summary>
    private static Model Built(Model m, Shape input)
    {
        using var scope = TensorScope.Begin();
        GradientTape.NoRecord(() => m.Apply(Tensor.Zeros(input)));
        return m;
    }
}

/// <summary>The chapter's MLP: Flatten → Dense(100, relu) → Dense(10) → softmax.</summary>
public sealed class MLP : Model
{
    private readonly Flatten _flatten = new();
    private readonly Dense _dense1 = new(units: 100, activation: "relu");
    private readonly Dense _dense2 = new(units: 10);

    /// <summary>The chapter's MLP, named <c>mlp</c>.</summary>
    public MLP()
        : base("mlp")
    {
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false)
    {
        var x = _flatten.Apply(input);   // [batch, 784]
        x = _dense1.Apply(x);            // [batch, 100]
        x = _dense2.Apply(x);            // [batch, 10]
        return Ops.Softmax(x);
    }
}

/// <summary>
/// The chapter's CNN: Conv(32, 5×5, same, relu) → MaxPool 2 → Conv(64, 5×5, same, relu) → MaxPool 2 →
/// Reshape(7·7·64) → Dense(1024, relu) → Dense(10) → softmax.
/// </summary>
public sealed class CNN : Model
{
    private readonly Conv2D _conv1 = new(filters: 32, kernelSize: [5, 5], padding: "same", activation: "relu");
    private readonly MaxPool2D _pool1 = new(poolSize: [2, 2], strides: [2, 2]);
    private readonly Conv2D _conv2 = new(filters: 64, kernelSize: [5, 5], padding: "same", activation: "relu");
    private readonly MaxPool2D _pool2 = new(poolSize: [2, 2], strides: [2, 2]);
    private readonly Reshape _flatten = new(targetShape: [7 * 7 * 64]);
    private readonly Dense _dense1 = new(units: 1024, activation: "relu");
    private readonly Dense _dense2 = new(units: 10);

    /// <summary>The chapter's CNN, named <c>cnn</c>.</summary>
    public CNN()
        : base("cnn")
    {
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false)
    {
        var x = _conv1.Apply(input);     // [batch, 28, 28, 32]
        x = _pool1.Apply(x);             // [batch, 14, 14, 32]
        x = _conv2.Apply(x);             // [batch, 14, 14, 64]
        x = _pool2.Apply(x);             // [batch, 7, 7, 64]
        x = _flatten.Apply(x);           // [batch, 3136]
        x = _dense1.Apply(x);            // [batch, 1024]
        x = _dense2.Apply(x);            // [batch, 10]
        return Ops.Softmax(x);
    }
}

/// <summary>
/// The chapter's char RNN: one-hot → LSTMCell(256) unrolled over the sequence → Dense(num_chars),
/// softmax unless fromLogits.
/// </summary>
public sealed class CharRNN : Model
{
    private readonly LSTMCell _cell;
    private readonly Dense _dense;

    /// <summary>The chapter's char RNN over a vocabulary of <paramref name="numChars"/>, with an LSTM cell of <paramref name="units"/>.</summary>
    public CharRNN(int numChars, int units = 256)
        : base("rnn")
    {
        NumChars = numChars;
        _cell = new LSTMCell(units: units);
        _dense = new Dense(units: numChars);
    }

    /// <summary>The vocabulary size.</summary>
    public int NumChars { get; }

    /// <summary>Return logits instead of probabilities (for a from-logits loss, and for sampling).</summary>
    public bool FromLogits { get; set; }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false)
    {
        int batch = input.Shape[0], seqLength = input.Shape[1];
        var inputs = Ops.OneHot(input, NumChars);                 // [batch, seq_length, num_chars]
        var state = _cell.GetInitialState(batch);
        Tensor output = state.H;
        for (int t = 0; t < seqLength; t++)
        {
            (output, state) = _cell.Apply(Ops.Take(inputs, 1, t), state);   // [batch, 256]
        }

        var logits = _dense.Apply(output);                         // [batch, num_chars]
        return FromLogits ? logits : Ops.Softmax(logits);
    }

    /// <summary>Samples the next char index per row from softmax(logits / temperature) (the chapter's predict).</summary>
    public int[] Sample(NDArray x, float temperature, Random rng)
    {
        using var scope = TensorScope.Begin();
        bool was = FromLogits;
        FromLogits = true;
        try
        {
            var logits = Predict(x.ToTensor()).ToArray();
            var result = new int[x.Count];
            for (int r = 0; r < x.Count; r++)
            {
                var row = logits.AsSpan(r * NumChars, NumChars).ToArray();
                double max = row.Max();
                double[] p = row.Select(v => Math.Exp((v - max) / temperature)).ToArray();
                double sum = p.Sum(), u = rng.NextDouble() * sum, acc = 0;
                int pick = NumChars - 1;
                for (int c = 0; c < NumChars; c++)
                {
                    acc += p[c];
                    if (u < acc)
                    {
                        pick = c;
                        break;
                    }
                }

                result[r] = pick;
            }

            return result;
        }
        finally
        {
            FromLogits = was;
        }
    }
}

/// <summary>The chapter's DQN Q-network: Dense(24, relu) → Dense(24, relu) → Dense(2).</summary>
public sealed class QNetwork : Model
{
    private readonly Dense _dense1 = new(units: 24, activation: "relu");
    private readonly Dense _dense2 = new(units: 24, activation: "relu");
    private readonly Dense _dense3 = new(units: 2);

    /// <summary>The chapter's Q-network, named <c>q_network</c>.</summary>
    public QNetwork()
        : base("q_network")
    {
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) =>
        _dense3.Apply(_dense2.Apply(_dense1.Apply(input)));
}
