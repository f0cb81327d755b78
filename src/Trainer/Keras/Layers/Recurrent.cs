using System.Text.Json.Nodes;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Layers;

/// <summary>
/// One LSTM step (tf.keras.layers.LSTMCell), gate order i, f, c, o as Keras.
/// kernel: [input_dim, 4·units]; recurrent_kernel: [units, 4·units]; bias: [4·units] with the
/// forget-gate part initialized to 1 (unit_forget_bias).
/// </summary>
public sealed class LSTMCell : Layer
{
    /// <summary>An LSTM cell of <paramref name="units"/> (Keras gate order i, f, c, o); applied one step at a time.</summary>
    public LSTMCell(int units, string? name = null)
        : base(name)
    {
        Units = units;
    }

    /// <summary>The hidden state's size.</summary>
    public int Units { get; }

    /// <summary>The input kernel [in, 4 × units].</summary>
    public Variable? Kernel { get; private set; }

    /// <summary>The recurrent kernel [units, 4 × units].</summary>
    public Variable? RecurrentKernel { get; private set; }

    /// <summary>The bias [4 × units] (the forget gate's part starts at 1, as Keras' unit_forget_bias).</summary>
    public Variable? Bias { get; private set; }

    /// <inheritdoc/>
    public override void Build(Shape inputShape)
    {
        Kernel = AddWeight("kernel", [inputShape.Last, 4 * Units], Initializer.GlorotUniform);
        RecurrentKernel = AddWeight("recurrent_kernel", [Units, 4 * Units], Initializer.Orthogonal);
        var bias = new float[4 * Units];
        Array.Fill(bias, 1f, Units, Units);
        Bias = AddWeight("bias", [4 * Units], Initializer.Constant(bias));
    }

    /// <summary>Creates the weights unless they exist (an LSTM layer builds its cell before the first step).</summary>
    internal void BuildOnce(Shape inputShape)
    {
        if (!Built)
        {
            Build(inputShape);
            Built = true;
        }
    }

    /// <summary>Zero (h, c) for a batch (tf.keras.layers.LSTMCell.get_initial_state).</summary>
    public (Tensor H, Tensor C) GetInitialState(int batchSize) =>
        (Tensor.Zeros(new Shape(batchSize, Units)), Tensor.Zeros(new Shape(batchSize, Units)));

    /// <summary>One step: (output, new state) = cell(x, state); output is h.</summary>
    public (Tensor Output, (Tensor H, Tensor C) State) Apply(Tensor input, (Tensor H, Tensor C) state)
    {
        BuildOnce(input.Shape);

        var (h, c) = Ops.LstmCell(input, state.H, state.C, Kernel!, RecurrentKernel!, Bias!);
        return (h, (h, c));
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) =>
        throw new InvalidOperationException($"LSTMCell '{Name}' needs a state: call Apply(x, state), or wrap it in an LSTM layer");

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new() { ["name"] = Name, ["units"] = Units };
}

/// <summary>
/// LSTM over a sequence (tf.keras.layers.LSTM): [B, T, features] → last output [B, units]
/// (or all outputs [B, T, units] with returnSequences).
/// </summary>
public sealed class LSTM : Layer
{
    private readonly LSTMCell _cell;

    /// <summary>An LSTM layer of <paramref name="units"/> over [batch, time, features] from the zero state; the last step's output, or every step's with <paramref name="returnSequences"/> (tf.keras.layers.LSTM).</summary>
    public LSTM(int units, bool returnSequences = false, string? name = null)
        : base(name)
    {
        Units = units;
        ReturnSequences = returnSequences;
        _cell = new LSTMCell(units, name: (name ?? Name) + "_cell");
    }

    /// <summary>The hidden state's size.</summary>
    public int Units { get; }

    /// <summary>Whether every step's output is returned.</summary>
    public bool ReturnSequences { get; }

    /// <summary>The cell run at every step.</summary>
    public LSTMCell Cell => _cell;

    /// <inheritdoc/>
    public override void Build(Shape inputShape)
    {
        if (inputShape.Rank != 3)
        {
            throw new ArgumentException($"LSTM '{Name}' expects [batch, time, features], got {inputShape}");
        }

        _cell.BuildOnce(new Shape(inputShape[0], inputShape[2])); // once: the first step must not make a second set of weights
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false)
    {
        int batch = input.Shape[0], steps = input.Shape[1];
        var state = _cell.GetInitialState(batch);
        var outputs = new List<Tensor>(ReturnSequences ? steps : 0);
        Tensor last = state.H;
        for (int t = 0; t < steps; t++)
        {
            (last, state) = _cell.Apply(Ops.Take(input, 1, t), state);
            if (ReturnSequences)
            {
                outputs.Add(Ops.Reshape(last, batch, 1, Units));
            }
        }

        return ReturnSequences ? Ops.Concat(outputs, 1) : last;
    }

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new() { ["name"] = Name, ["units"] = Units, ["return_sequences"] = ReturnSequences };

    internal static LSTM FromConfig(JsonObject c) => new((int)c["units"]!, (bool?)c["return_sequences"] ?? false, (string?)c["name"]);
}

/// <summary>Token ids → dense vectors (tf.keras.layers.Embedding). embeddings: [input_dim, output_dim].</summary>
public sealed class Embedding : Layer
{
    /// <summary>Maps token ids in [0, <paramref name="inputDim"/>) to vectors of <paramref name="outputDim"/> (tf.keras.layers.Embedding).</summary>
    public Embedding(int inputDim, int outputDim, string? name = null)
        : base(name)
    {
        InputDim = inputDim;
        OutputDim = outputDim;
    }

    /// <summary>The vocabulary size.</summary>
    public int InputDim { get; }

    /// <summary>The vector size.</summary>
    public int OutputDim { get; }

    /// <summary>The table [inputDim, outputDim], once built.</summary>
    public Variable? Embeddings { get; private set; }

    /// <inheritdoc/>
    public override void Build(Shape inputShape) =>
        Embeddings = AddWeight("embeddings", [InputDim, OutputDim], Initializer.RandomUniform());

    /// <inheritdoc/>
    public override Tensor Call(Tensor input, bool training = false) => Ops.Gather(Embeddings!, input);

    /// <inheritdoc/>
    public override JsonObject GetConfig() => new() { ["name"] = Name, ["input_dim"] = InputDim, ["output_dim"] = OutputDim };

    internal static Embedding FromConfig(JsonObject c) => new((int)c["input_dim"]!, (int)c["output_dim"]!, (string?)c["name"]);
}
