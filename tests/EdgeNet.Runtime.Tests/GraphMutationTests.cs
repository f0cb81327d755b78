using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// Past the checksums: real exported graphs (MLP, CNN, char-LSTM; f32 and int8) with one attribute,
/// value dimension, operator input or attribute removal changed, written as a valid sealed blob — what
/// a buggy or hostile writer produces — and taken through load (every operator's Prepare), one Invoke,
/// and for the LSTM through <c>edgenet generate</c>. A blob must be refused with the typed error
/// (RuntimeModelException, EnbFormatException) or run; nothing else may escape.
/// </summary>
[TestClass]
[DoNotParallelize] // exports models built with the process-wide Keras RNG
public sealed class GraphMutationTests
{
    private static string s_dir = null!;
    private static List<(string Name, string Path)> s_blobs = null!;

    [ClassInitialize]
    public static void Export(TestContext _)
    {
        KerasBackend.SetRandomSeed(4);
        s_dir = Directory.CreateTempSubdirectory("edgenet-mutate-").FullName;
        s_blobs = [];
        var rng = new Random(4);
        float[] Images(int n) => [.. Enumerable.Range(0, n * 196).Select(_ => (float)rng.NextDouble())];
        var cnn = new Sequential([new Conv2D(4, [3, 3], padding: "same", activation: "relu"), new MaxPool2D([2, 2], [2, 2]), new Reshape([7 * 7 * 4]), new Dense(10)]);
        var mlp = new Sequential([new Flatten(), new Dense(16, activation: "relu"), new Dense(10), new Softmax()]);
        foreach (var (name, model) in new (string, Model)[] { ("mlp", mlp), ("cnn", cnn) })
        {
            foreach (var scheme in new[] { QuantizationScheme.F32, QuantizationScheme.Int8 })
            {
                string path = Path.Combine(s_dir, $"{name}-{scheme}.enb");
                ModelExporter.ExportSamples(model, path, new QuantizationOptions { Scheme = scheme }, [new NDArray(Images(8), 8, 14, 14, 1)], new Dictionary<string, EnbValue>());
                s_blobs.Add(($"{name}-{scheme}", path));
            }
        }

        var lstm = new CharRNN(numChars: 12, units: 8);
        float[] ids = [.. Enumerable.Range(0, 4 * 6).Select(i => (float)(i % 12))];
        string lstmPath = Path.Combine(s_dir, "lstm.enb");
        ModelExporter.ExportSamples(lstm, lstmPath, QuantizationOptions.F32, [new NDArray(ids, 4, 6)],
            new Dictionary<string, EnbValue> { ["text.vocabulary"] = EnbValue.String("abcdefghij ."), });
        s_blobs.Add(("lstm", lstmPath));
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(s_dir, recursive: true);

    private static EnbValue MutateValue(EnbValue v, Random rng)
    {
        int[] odd = [0, -1, 1, 2, 3, 1000, int.MaxValue, int.MinValue];
        return v.Value switch
        {
            int[] a => EnbValue.Ints([.. Enumerable.Range(0, rng.Next(4)).Select(_ => odd[rng.Next(odd.Length)])]),
            string => EnbValue.String(new[] { "same", "valid", "relu", "tanh", "full", "", "sigmoid", "bogus" }[rng.Next(8)]),
            int => EnbValue.I32(odd[rng.Next(odd.Length)]),
            _ => rng.Next(2) == 0 ? EnbValue.String("x") : EnbValue.Ints(0, 0),
        };
    }

    /// <summary>The blob's graph with one seeded change; the weights and metadata as they were.</summary>
    private static (GraphDef Graph, string What) Mutate(GraphDef g, int tensors, Random rng)
    {
        var values = g.Values.ToList();
        var ops = g.Operators.ToList();
        int o = rng.Next(ops.Count);
        var op = ops[o];
        switch (rng.Next(4))
        {
            case 0 when op.Attributes.Count > 0:
            {
                int a = rng.Next(op.Attributes.Count);
                var attrs = op.Attributes.ToList();
                var changed = MutateValue(attrs[a].Value, rng);
                attrs[a] = new(attrs[a].Key, changed);
                ops[o] = op with { Attributes = attrs };
                return (g with { Operators = ops }, $"operator {o} {op.Opcode} attribute '{attrs[a].Key}' = {changed}");
            }

            case 1:
            {
                int v = rng.Next(values.Count);
                var dims = values[v].Dims.ToArray();
                int d = dims.Length == 0 ? -1 : rng.Next(dims.Length);
                if (d < 0)
                {
                    return (g, "no change");
                }

                dims[d] = new[] { 0, -1, 1, 2, 65_536, dims[d] + 1, int.MaxValue }[rng.Next(7)];
                values[v] = values[v] with { Dims = dims };
                return (g with { Values = values }, $"value {v} '{values[v].Name}' dims [{string.Join(", ", dims)}]");
            }

            case 2 when op.Inputs.Count > 0:
            {
                int i = rng.Next(op.Inputs.Count);
                var inputs = op.Inputs.ToList();
                inputs[i] = inputs[i].IsWeight && tensors > 1 ? TensorRef.Weight(rng.Next(tensors)) : TensorRef.Value(rng.Next(values.Count));
                ops[o] = op with { Inputs = inputs };
                return (g with { Operators = ops }, $"operator {o} {op.Opcode} input {i} -> {inputs[i]}");
            }

            default:
            {
                if (op.Attributes.Count == 0)
                {
                    return (g, "no change");
                }

                var attrs = op.Attributes.ToList();
                string key = attrs[rng.Next(attrs.Count)].Key;
                attrs.RemoveAll(kv => kv.Key == key);
                ops[o] = op with { Attributes = attrs };
                return (g with { Operators = ops }, $"operator {o} {op.Opcode} without attribute '{key}'");
            }
        }
    }

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public void Mutated_graphs_are_refused_at_load_with_a_typed_error_or_run()
    {
        var rng = new Random(20261202);
        int refused = 0, ran = 0, writerRefused = 0;
        foreach (var (name, path) in s_blobs)
        {
            using var original = BlobReader.Open(path);
            for (int m = 0; m < 250; m++)
            {
                var (graph, what) = Mutate(original.Graph!, original.Tensors.Count, rng);
                if (Environment.GetEnvironmentVariable("EDGENET_MUTATION_LOG") is { } log)
                {
                    File.AppendAllText(log, $"{name}: {what}\n");   // the last line names a mutation that crashes the process
                }

                string mutated = Path.Combine(s_dir, $"{name}-m{m}.enb");
                try
                {
                    var w = BlobWriter.CopyOf(original);
                    try
                    {
                        w.Graph = graph;
                        w.Write(mutated);
                    }
                    catch (InvalidOperationException e) when (e.Message.StartsWith("the graph is not valid", StringComparison.Ordinal))
                    {
                        writerRefused++;   // the writer enforces the reader's rules: such a file is not made (bytes damaged later: HostileInputTests)
                        continue;
                    }

                    using (var it = Interp.Load(mutated, new InterpreterOptions { MaxBatch = 2 }))
                    {
                        it.Input(2).Fill(1f);   // a valid pixel and a valid token id
                        it.Invoke(2);
                    }

                    if (name == "lstm")
                    {
                        var (code, _, err) = CliRunner.Run("generate", mutated, "--length", "3");
                        Assert.IsTrue(code is 0 or 2, $"{name}, {what}: generate exited {code}: {err}");
                    }

                    ran++;
                }
                catch (Exception e) when (e is RuntimeModelException or EnbFormatException)
                {
                    refused++;
                }
                catch (Exception e) when (e is not AssertFailedException)
                {
                    Assert.Fail($"{name}, {what}: escaped as {e.GetType().Name}: {e.Message}");
                }
                finally
                {
                    File.Delete(mutated);
                }
            }
        }

        Assert.IsGreaterThan(300, refused, $"{refused} refused at load, {ran} ran, {writerRefused} refused by the writer");
    }
}
