using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Import;
using EdgeNet.Trainer.Tensors;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// Models PyTorch's exporter wrote (tests/EdgeNet.Trainer.Tests/OnnxFiles/make.py), imported, exported and run on the
/// board's kernels: float against the imported Keras model (which the importer's tests hold to ONNX Runtime), int8
/// bit-exact against the trainer's integer reference, at every kernel variant.
/// </summary>
[TestClass]
public sealed class ImportedModelTests
{
    private static string OnnxFile(string name) => Path.Combine(AppContext.BaseDirectory, "OnnxFiles", name);

    [TestMethod]
    [DataRow("se_block.onnx")] // squeeze-and-excitation, hard swish, SiLU
    [DataRow("se_block14.onnx")]
    [DataRow("fire.onnx")] // SqueezeNet's concatenations (int8: the inputs requantized to the output's scale)
    [DataRow("shuffle.onnx")] // ShuffleNetV2's channel split, concatenation and shuffle
    public void A_torch_model_runs_on_the_board_in_f32_f16_and_int8(string file)
    {
        var import = OnnxImporter.Import(OnnxFile(file));
        const int Batch = 3;
        int[] sample = import.InputShape;
        int per = sample.Aggregate(1, (a, d) => a * d);
        var r = new Random(12);
        float[] x = Enumerable.Range(0, Batch * per).Select(_ => (float)((r.NextDouble() * 4) - 2)).ToArray();
        float[] expected;
        using (var scope = TensorScope.Begin())
        {
            expected = import.Model.Predict(Tensor.FromArray(x, [Batch, .. sample])).ToArray();
        }

        float range = expected.Max() - expected.Min();
        foreach (var scheme in new[] { QuantizationScheme.F32, QuantizationScheme.F16, QuantizationScheme.Int8 })
        {
            string path = Path.Combine(Path.GetTempPath(), $"imported-{Guid.NewGuid():N}.enb");
            try
            {
                ModelExporter.ExportSamples(import.Model, path, new QuantizationOptions { Scheme = scheme }, [new NDArray(x, [Batch, .. sample])], new Dictionary<string, EnbValue>());
                float[]? integer = null;
                if (scheme == QuantizationScheme.Int8)
                {
                    using var blob = BlobReader.Open(path);
                    var g = blob.Graph!;
                    Assert.AreEqual(1, g.Operators.Count(o => o.Opcode == Opcode.Quantize && g.Values[o.Inputs[0].Index].Type == ElementType.F32), $"{file}: the int8 blob has no float island");
                    integer = new ReferenceInterpreter(blob).Run(x, Batch);
                }

                foreach (var (variant, threads) in new[] { (KernelVariant.Reference, 1), (KernelVariant.Simd, 1), (KernelVariant.Simd, 2) })
                {
                    using var it = Interp.Load(path, new InterpreterOptions { MaxBatch = Batch, Variant = variant, Threads = threads, SplitEveryCall = true });
                    x.CopyTo(it.Input(Batch));
                    it.Invoke(Batch);
                    float[] y = it.Output(Batch).ToArray();
                    if (integer is not null)
                    {
                        CollectionAssert.AreEqual(integer, y, $"{file} int8 {variant} x{threads}: outputs differ from the integer reference");
                        double worst = y.Select((v, i) => Math.Abs(v - expected[i])).Max() / range;
                        Assert.IsLessThan(0.1, worst, $"{file} int8 against float, relative to the output's range");
                        continue;
                    }

                    double tol = scheme == QuantizationScheme.F16 ? 1e-2 : 1e-5;
                    double diff = y.Select((v, i) => Math.Abs(v - expected[i])).Max() / range;
                    Assert.IsLessThan(tol, diff, $"{file} {scheme} {variant} x{threads}: largest difference relative to the output's range");
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
