// The chapter's character-level LSTM: one-hot characters through an LSTMCell(256) unrolled over 40
// steps, Dense to the vocabulary; trained on random windows of the fortunes text, then sampled at
// the temperatures 0.2, 0.5, 1.0 and 1.2 (softmax(logits / temperature)).
// dotnet run [-- BATCHES [TEXT]]   (default: 1000 batches of 50; the fortunes of /usr/share/games/fortunes)
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Data;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Losses;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

const int SeqLength = 40, BatchSize = 50;
int batches = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1000;
var corpus = TextCorpus.Load(args.Length > 1 ? args[1] : null, seed: 1);
Console.WriteLine($"{corpus.RawText.Length} characters, {corpus.NumChars} distinct");

var model = new CharRnn(corpus.NumChars);
model.Compile(new Adam(learningRate: 0.001f), new SparseCategoricalCrossentropy(fromLogits: true));
for (int batch = 0; batch < batches; batch++)
{
    var (x, y) = corpus.GetBatch(SeqLength, BatchSize);
    using var scope = TensorScope.Begin();
    float loss = model.TrainOnBatch(x.ToTensor(), y.ToTensor());
    if (batch % 100 == 0 || batch == batches - 1)
    {
        Console.WriteLine($"batch {batch}: loss {loss:F6}");
    }
}

var rng = new Random(1);
var (seed, _) = corpus.GetBatch(SeqLength, 1);
foreach (float temperature in new[] { 0.2f, 0.5f, 1.0f, 1.2f })
{
    float[] window = seed.Data.ToArray();
    var text = new System.Text.StringBuilder();
    for (int t = 0; t < 100; t++)
    {
        using var scope = TensorScope.Begin();
        float[] logits = model.Predict(Tensor.FromArray(window, 1, SeqLength)).ToArray();   // [1, num_chars]
        int next = Sample(logits, temperature, rng);
        text.Append(corpus.Chars[next]);
        Array.Copy(window, 1, window, 0, SeqLength - 1);
        window[^1] = next;
    }

    Console.WriteLine($"diversity {temperature:F1}:");
    Console.WriteLine(text.ToString());
}

static int Sample(float[] logits, float temperature, Random rng)
{
    float max = logits.Max();
    double[] p = logits.Select(v => Math.Exp((v - max) / temperature)).ToArray();
    double u = rng.NextDouble() * p.Sum();
    for (int c = 0; c < p.Length; c++)
    {
        u -= p[c];
        if (u < 0)
        {
            return c;
        }
    }

    return p.Length - 1;
}

internal sealed class CharRnn(int numChars) : Model
{
    private readonly LSTMCell _cell = new(units: 256);
    private readonly Dense _dense = new(units: numChars);

    public override Tensor Call(Tensor input, bool training = false)
    {
        int batch = input.Shape[0], seqLength = input.Shape[1];
        var inputs = Ops.OneHot(input, numChars);                  // [batch, seq_length, num_chars]
        var state = _cell.GetInitialState(batch);
        Tensor output = state.H;
        for (int t = 0; t < seqLength; t++)
        {
            (output, state) = _cell.Apply(Ops.Take(inputs, 1, t), state);   // [batch, 256]
        }

        return _dense.Apply(output);                                // [batch, num_chars]: logits
    }
}
