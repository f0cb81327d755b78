using EdgeNet.Formats.Enb;

namespace EdgeNet.Trainer.Tests;

/// <summary>The edgenet-train command line, in-process: what it writes, its files, and its refusals.</summary>
[TestClass]
[DoNotParallelize] // redirects the process-wide console
public sealed class TrainCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var o = new StringWriter();
        var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            return (Cli.Cli.Run(args), o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    [TestMethod]
    public void Dqn_writes_the_model_the_episode_log_the_curve_and_the_blob()
    {
        var dir = Directory.CreateTempSubdirectory("edgenet-train-cli-");
        try
        {
            string outPath = Path.Combine(dir.FullName, "q.keras.enb"), blob = Path.Combine(dir.FullName, "q.enb");
            var (code, output, err) = Run("dqn", "--steps", "1500", "--eval-every", "1500", "--learning-starts", "500", "--gradient-steps", "8",
                "--hidden", "32,32", "--seed", "3", "--out", outPath, "--export", blob, "--quantize", "int8,f32");
            Assert.AreEqual(0, code, err);
            StringAssert.Contains(output, "MLP 32-32, Adam 0.0023, batch 64");
            StringAssert.Contains(output, "eval at   1500: greedy mean R");
            StringAssert.Contains(output, "solved: ");
            StringAssert.Contains(output, "gradient steps in");

            string[] csv = File.ReadAllLines(Path.Combine(dir.FullName, "q.csv"));
            Assert.AreEqual("episode,env_steps,return,length,epsilon,mean_return_100,wall_s", csv[0]);
            var steps = csv.Skip(1).Select(l => long.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.IsGreaterThan(10, steps.Length, "episodes logged");
            CollectionAssert.AreEqual(steps.Order().ToArray(), steps, "episodes in env-step order");
            Assert.IsTrue(csv.Skip(1).All(l => l.Split(',')[2] == l.Split(',')[3]), "CartPole's return equals the episode length");

            byte[] png = File.ReadAllBytes(Path.Combine(dir.FullName, "q.png"));
            CollectionAssert.AreEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png.Take(4).ToArray());

            // Two schemes: one blob each, named by the scheme.
            Assert.IsFalse(File.Exists(blob));
            using var f = BlobReader.Open(Path.Combine(dir.FullName, "q-f32.enb"), new BlobReadOptions { VerifyTensorHashes = true });
            Assert.AreEqual("f32", f.GetMetadata("quantization.scheme")!.AsString());
            using var r = BlobReader.Open(Path.Combine(dir.FullName, "q-int8.enb"), new BlobReadOptions { VerifyTensorHashes = true });
            Assert.AreEqual("dqn", r.GetMetadata("general.architecture")!.AsString());
            Assert.AreEqual("int8", r.GetMetadata("quantization.scheme")!.AsString());
            Assert.AreEqual(1500, r.GetMetadata("training.env_steps")!.AsInt64(), 100);
            using var saved = BlobReader.Open(outPath);
            Assert.AreEqual("dqn", saved.GetMetadata("general.name")!.AsString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void Lstm_export_writes_a_blob_the_contract_accepts_with_its_vocabulary_and_final_loss()
    {
        var dir = Directory.CreateTempSubdirectory("edgenet-train-lstm-");
        try
        {
            string blob = Path.Combine(dir.FullName, "lstm.enb");
            var (code, output, err) = Run("lstm", "--steps", "3", "--units", "16", "--seq-length", "10", "--batch-size", "8",
                "--max-chars", "20000", "--sample-length", "5", "--export", blob);
            Assert.AreEqual(0, code, err);
            StringAssert.Contains(output, "exported " + blob);

            // The reader checks every known key's type against the contract (a float under training.loss failed CI once).
            using var r = BlobReader.Open(blob, new BlobReadOptions { VerifyTensorHashes = true });
            Assert.AreEqual("rnn", r.GetMetadata("general.architecture")!.AsString(), "the chapter's CharRNN model name");
            string vocabulary = r.GetMetadata("text.vocabulary")!.AsString();
            Assert.AreEqual(vocabulary.Length, vocabulary.Distinct().Count(), "one class per character");
            double loss = r.GetMetadata("training.final_loss")!.AsDouble();
            // Three Adam steps from a fresh LSTM: the cross-entropy is still close to ln(vocabulary size).
            Assert.AreEqual(Math.Log(vocabulary.Length), loss, 0.5, "final loss near a uniform guess");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    [DataRow("--steps", "0", "--steps must be > 0")]
    [DataRow("--quantize", "int4", "--quantize must be f32, f16 or int8, not 'int4'")]
    [DataRow("--physics", "pole_mass=-1", "physics option 'pole_mass' must be > 0")]
    [DataRow("--hidden", "256,x", "--hidden: 'x' is not a positive width")]
    [DataRow("--gamma", "1.5", "--gamma must be in [0, 1]")]
    [DataRow("--threads", "0", "--threads must be >= 1")]
    public void Dqn_refuses_bad_options_naming_them(string option, string value, string message)
    {
        string[] steps = option == "--steps" ? [] : ["--steps", "100"];
        var (code, _, err) = Run(["dqn", .. steps, option, value]);
        Assert.AreEqual(2, code, err);
        StringAssert.Contains(err, message);
    }

    [TestMethod]
    public void Image_commands_share_the_data_grammar_and_refuse_an_unknown_one()
    {
        var (code, _, err) = Run("mlp", "--data", "nosuch", "--steps", "1");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "--data 'nosuch': not a dataset name nor an existing file or folder");

        var dir = Directory.CreateTempSubdirectory("edgenet-train-cli-");
        try
        {
            string model = Path.Combine(dir.FullName, "m.keras.enb"), blob = Path.Combine(dir.FullName, "m.enb");
            (code, var output, err) = Run("mlp", "--data", "mnist=/usr/share/datasets/fashion-mnist", "--steps", "20", "--train-limit", "500", "--out", model);
            Assert.AreEqual(0, code, err);
            StringAssert.Contains(output, "mlp on mnist/train (500 samples), 20 batches of 50");
            (code, output, err) = Run("export", model, "--to", blob, "--quantize", "f32", "--data", "digits", "--eval-limit", "50", "--calibration", "50");
            Assert.AreEqual(0, code, err);
            Assert.IsTrue(File.Exists(blob));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void Mobilenet_trains_on_a_folder_of_photos_and_exports_a_blob_with_its_pipeline()
    {
        var dir = Directory.CreateTempSubdirectory("edgenet-train-mobilenet-");
        try
        {
            // tf_flowers' layout in small: three classes of coloured 24x32 photos, one class nested a level deeper.
            string photos = EdgeNet.Tests.Shared.TestImages.ColourFolder(Path.Combine(dir.FullName, "flower_photos"), ["daisy", "roses", "tulips"], 10, 24, 32, seed: 3);
            string outPath = Path.Combine(dir.FullName, "m.keras.enb");
            var (code, output, err) = Run("mobilenet", "--data", photos, "--alpha", "0.35", "--size", "32", "--classes", "3", "--epochs", "2", "--batch-size", "8",
                "--bn-momentum", "0.9", "--recalibrate-bn", "3", "--out", outPath);
            Assert.AreEqual(0, code, err + output);
            StringAssert.Contains(output, "MobileNetV2 alpha 0.35 32x32x3, 3 classes, on flower_photos/train (24 images, 32x32x3 rgb bilinear");
            StringAssert.Contains(output, "epoch 2/2: loss");
            StringAssert.Contains(output, "test accuracy (inference mode, moving statistics): ");
            StringAssert.Contains(output, "test accuracy after recomputing the BN statistics from 3 batches");
            Assert.IsTrue(File.Exists(Path.ChangeExtension(outPath, ".png")), "the curves");

            string blob = Path.Combine(dir.FullName, "m.enb");
            (code, output, err) = Run("export", outPath, "--to", blob, "--quantize", "int8", "--data", photos, "--calibration", "16");
            Assert.AreEqual(0, code, err + output);
            using var r = BlobReader.Open(blob, new BlobReadOptions { VerifyTensorHashes = true });
            CollectionAssert.AreEqual(new[] { "daisy", "roses", "tulips" }, r.GetMetadata("general.class_names")!.AsStringArray());
            Assert.AreEqual("rgb", r.GetMetadata("input.color")!.AsString());
            Assert.AreEqual("bilinear", r.GetMetadata("input.resize")!.AsString());
            CollectionAssert.AreEqual(new[] { 1f / 127.5f, -1f }, r.GetMetadata("input.normalization")!.AsFloatArray());
            var ops = r.Graph!.Operators.Select(o => o.Opcode).ToList();
            Assert.AreEqual(17, ops.Count(o => o == Opcode.DepthwiseConv2D), "one depthwise convolution per block");
            Assert.AreEqual(10, ops.Count(o => o == Opcode.Add), "MobileNetV2's ten residual adds");
            Assert.AreEqual(1, ops.Count(o => o == Opcode.Quantize), "one int8 region from the input to the logits");

            (code, _, err) = Run("mobilenet", "--data", photos, "--classes", "5", "--epochs", "1");
            Assert.AreEqual(2, code, "a usage error");
            StringAssert.Contains(err, "--classes 5: the data has 3 classes (daisy, roses, tulips)");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void Import_writes_the_class_names_of_a_classes_file_and_refuses_a_wrong_count()
    {
        var dir = Directory.CreateTempSubdirectory("edgenet-import-cli-");
        try
        {
            string onnx = Path.Combine(AppContext.BaseDirectory, "OnnxFiles", "cnn_flatten.onnx"), blob = Path.Combine(dir.FullName, "cnn.enb"), names = Path.Combine(dir.FullName, "classes.txt");
            File.WriteAllLines(names, ["daisy", "dandelion", "roses", "sunflowers"]);
            var (code, _, err) = Run("import", onnx, "--to", blob, "--classes", names);
            Assert.AreEqual(2, code);
            StringAssert.Contains(err, $"--classes {names}: 4 names, the model has 5 outputs");
            File.WriteAllLines(names, ["daisy", "dandelion", "roses", "sunflowers", "tulips", ""]);
            (code, _, err) = Run("import", onnx, "--to", blob, "--classes", names);
            Assert.AreEqual(0, code, err);
            using var r = BlobReader.Open(blob);
            CollectionAssert.AreEqual(new[] { "daisy", "dandelion", "roses", "sunflowers", "tulips" }, r.GetMetadata(Formats.Contract.MetadataKeys.ClassNames)!.AsStringArray());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
