using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeNet.Trainer.Tests;

/// <summary>ONNX export of the chapter's MLP, CNN and char-LSTM, run by ONNX Runtime against the trainer's outputs.</summary>
[TestClass]
[DoNotParallelize] // seeds the process-wide Keras RNG: another class drawing from it concurrently would change the weights
public sealed class OnnxExportTests
{
    private static void Compare(Model model, int[] sample, float[] x, int batch, double tol)
    {
        float[] expected = model.Predict(EdgeNet.Trainer.Tensors.Tensor.FromArray(x, [batch, .. sample])).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"onnx-{model.Name}-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExporter.Export(model, path, sample, x.Take(sample.Aggregate(1, (a, d) => a * d)).ToArray());
            using var session = new InferenceSession(path);
            var input = new DenseTensor<float>(x, [batch, .. sample]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
            float[] got = results[0].AsEnumerable<float>().ToArray();
            Assert.HasCount(expected.Length, got);
            for (int i = 0; i < got.Length; i++)
            {
                Assert.AreEqual(expected[i], got[i], tol, $"{model.Name} output {i}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Mlp_and_cnn_run_in_onnx_runtime_within_1e4()
    {
        KerasBackend.SetRandomSeed(12);
        var x = GradientCheck.Rand(3 * 784, 13, 0, 1);
        Compare(new MLP(), [28, 28, 1], x, 3, 1e-4);
        Compare(new CNN(), [28, 28, 1], x, 3, 1e-4);
    }

    [TestMethod]
    public void Char_lstm_runs_in_onnx_runtime_within_1e4()
    {
        KerasBackend.SetRandomSeed(14);
        var ids = Enumerable.Range(0, 2 * 12).Select(i => (float)(i * 5 % 17)).ToArray();
        Compare(new CharRNN(17, units: 24), [12], ids, 2, 1e-4);
    }
}
