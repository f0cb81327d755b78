using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeNet.Trainer.Tests;

/// <summary>ONNX export of the chapter's MLP, CNN, char-LSTM and MobileNetV2, run by ONNX Runtime against the trainer's outputs (and the ONNX checker).</summary>
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
    public void A_small_mobilenet_v2_passes_the_onnx_checker_and_runs_in_onnx_runtime()
    {
        // alpha 0.35 at 32x32: every operator of MobileNetV2 (BN folded, depthwise as grouped Conv, ZeroPadding2D in the pads,
        // ReLU6 as Clip, the residual Adds, global average pooling) with BN statistics moved off their initial values.
        KerasBackend.SetRandomSeed(15);
        var model = EdgeNet.Trainer.Keras.Applications.Applications.MobileNetV2([32, 32, 3], alpha: 0.35, classes: 5, classifierActivation: null);
        var x = GradientCheck.Rand(4 * 32 * 32 * 3, 16, -1, 1);
        for (int i = 0; i < 3; i++)
        {
            model.Apply(EdgeNet.Trainer.Tensors.Tensor.FromArray(x, 4, 32, 32, 3), training: true);
        }

        Compare(model, [32, 32, 3], x, 4, 1e-4);
        string path = Path.Combine(Path.GetTempPath(), $"onnx-mnv2-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExporter.Export(model, path, [32, 32, 3]);
            var (code, output) = RunPython($"import onnx; m = onnx.load('{path}'); onnx.checker.check_model(m, full_check=True); print('ok', m.opset_import[0].version, len(m.graph.node), sum(1 for n in m.graph.node if n.op_type == 'Transpose'))");
            Assert.AreEqual(0, code, output);
            // The spatial chain stays NCHW: one transpose in (the NHWC input), none out (the output is [N, 5]).
            StringAssert.StartsWith(output.Trim(), "ok 17");
            Assert.AreEqual("1", output.Trim().Split(' ')[^1], $"transposes inside the graph: {output}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Runs Debian's python3 (python3-onnx is installed by scripts/setup.sh for the tests).</summary>
    private static (int Code, string Output) RunPython(string code)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", ["-c", code]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [TestMethod]
    public void Squeeze_excitation_hard_swish_and_silu_export_check_run_in_onnx_runtime_and_import_back()
    {
        // HardSigmoid (α 1/6), HardSwish, SiLU as Sigmoid + Mul, the [N, C, 1, 1] gate times the NCHW map, a product of
        // one shape: onnx.checker, ONNX Runtime within 1e-4, and the importer reads the file back to the same outputs.
        KerasBackend.SetRandomSeed(17);
        RoundTrip(EdgeNet.Tests.Shared.FamilyModels.SqueezeExcite(), [7, 9, 6], GradientCheck.Rand(3 * 7 * 9 * 6, 18, -2, 2), ["HardSigmoid", "HardSwish", "Mul", "Sigmoid", "Tanh"]);
    }

    [TestMethod]
    public void Concat_channel_slice_and_shuffle_export_check_run_in_onnx_runtime_and_import_back()
    {
        // Concat over axis 1, Slice of the channels, the shuffle as Reshape + Transpose + Reshape (torch's own form).
        KerasBackend.SetRandomSeed(19);
        var back = RoundTrip(EdgeNet.Tests.Shared.FamilyModels.ChannelMoves(), [6, 7, 5], GradientCheck.Rand(3 * 6 * 7 * 5, 20, -1, 1), ["Concat", "Slice", "Reshape", "Transpose"]);
        Assert.AreEqual(3, back.Layers.OfType<EdgeNet.Trainer.Keras.Layers.ChannelShuffle>().Count(), "each shuffle read back as one layer");
    }

    /// <summary>
    /// Exports <paramref name="model"/> to ONNX, holds ONNX Runtime to it within 1e-4 on a batch of 3, runs onnx.checker
    /// (full check) and asserts each of <paramref name="ops"/> is in the file, then imports the file back: the same outputs
    /// within 1e-5. Returns the imported model.
    /// </summary>
    private static Model RoundTrip(Model model, int[] sample, float[] x, string[] ops)
    {
        Compare(model, sample, x, 3, 1e-4);
        string path = Path.Combine(Path.GetTempPath(), $"onnx-roundtrip-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExporter.Export(model, path, sample);
            var (code, output) = RunPython($"import onnx; m = onnx.load('{path}'); onnx.checker.check_model(m, full_check=True); print('ok', sorted({{n.op_type for n in m.graph.node}}))");
            Assert.AreEqual(0, code, output);
            foreach (string op in ops)
            {
                StringAssert.Contains(output, $"'{op}'");
            }

            var back = EdgeNet.Trainer.Import.OnnxImporter.Import(path).Model;
            float[] expected = model.Predict(EdgeNet.Trainer.Tensors.Tensor.FromArray(x, [3, .. sample])).ToArray();
            float[] got = back.Predict(EdgeNet.Trainer.Tensors.Tensor.FromArray(x, [3, .. sample])).ToArray();
            for (int i = 0; i < got.Length; i++)
            {
                Assert.AreEqual(expected[i], got[i], 1e-5, $"imported back: output {i}");
            }

            return back;
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Char_lstm_runs_in_onnx_runtime_within_1e4()
    {
        KerasBackend.SetRandomSeed(14);
        var ids = Enumerable.Range(0, 2 * 12).Select(i => (float)(i * 5 % 17)).ToArray();
        Compare(new CharRNN(17, units: 24), [12], ids, 2, 1e-4);
    }
}
