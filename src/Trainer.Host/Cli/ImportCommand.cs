using System.CommandLine;
using System.Globalization;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Data;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Data;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Import;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Spectre.Console;

namespace EdgeNet.Trainer.Cli;

/// <summary>
/// <c>edgenet-train import MODEL.onnx --to M.enb</c>: the ONNX model as a Keras model (the import table), then the
/// export every model gets (f32/f16/int8, the report); <c>--check</c> runs ONNX Runtime on the same inputs.
/// </summary>
internal static class ImportCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var model = new Argument<string?>("model") { Description = "an ONNX file (opset 11-21), e.g. from torch.onnx.export", Arity = ArgumentArity.ZeroOrOne };
        var to = new Option<string?>("--to") { Description = "the .enb blob to write" };
        var quantize = new Option<string>("--quantize") { Description = "f32 | f16 | int8 | all (writes FILE with -f32/-f16/-int8 suffixes and compares them)", DefaultValueFactory = _ => "f32" };
        var data = new Option<string?>("--calibration") { Description = "images for int8 ranges and the accuracy report: fashion, or a folder of CLASS/*.jpg|png; without it, random inputs (f32/f16 only)" };
        var samples = new Option<int>("--calibration-samples") { Description = "representative samples for int8 activation ranges", DefaultValueFactory = _ => 200 };
        var inputShape = new Option<string?>("--input-shape") { Description = "C,H,W (ONNX's order, no batch) for an input with symbolic dimensions" };
        var normalize = new Option<string>("--normalize") { Description = "MEAN,STD the model expects of pixels scaled to 0..1, or per channel M1,M2,M3,S1,S2,S3 (torchvision: 0.485,0.456,0.406,0.229,0.224,0.225)", DefaultValueFactory = _ => "0,1" };
        var classes = new Option<string?>("--classes") { Description = "a text file with one class name per line, in output order (the blob's general.class_names; edgenet run/classify print them)" };
        var check = new Option<bool>("--check") { Description = "also run ONNX Runtime on the same inputs and print the largest difference (relative to the output's range)" };
        var listOps = new Option<bool>("--list-ops") { Description = "print the operators the importer maps and exit" };
        var evalLimit = new Option<int>("--eval-limit") { Description = "test images for the accuracy report", DefaultValueFactory = _ => 500 };
        var cmd = new Command("import", "Import an ONNX model (PyTorch, TensorFlow via tf2onnx) as a Keras model and export it for the board: the import table, then the export report.")
        {
            model, to, quantize, data, samples, inputShape, normalize, classes, check, listOps, evalLimit,
        };
        cmd.SetAction(p => Cli.Guard(() =>
        {
            if (p.GetValue(listOps))
            {
                var ops = new Table().AddColumns("ONNX operator", "opset", "becomes");
                foreach (var (op, since, maps) in OnnxImporter.SupportedOperators)
                {
                    ops.AddRow(op, since + "-" + OnnxImporter.MaxOpset, Markup.Escape(maps));
                }

                AnsiConsole.Write(ops);
                return;
            }

            string path = p.GetValue(model) ?? throw new ArgumentException("give the ONNX file to import (or --list-ops)");
            string target = p.GetValue(to) ?? throw new ArgumentException("--to M.enb: where to write the blob");
            int[]? shape = p.GetValue(inputShape) is { } s ? s.Split(',').Select(v => int.Parse(v, Inv)).ToArray() : null;
            var import = OnnxImporter.Import(path, new OnnxImportOptions { InputShape = shape });
            PrintImport(path, import);

            var norm = p.GetValue(normalize)!.Split(',').Select(v => float.Parse(v, Inv)).ToArray();
            int half = norm.Length / 2;
            if (norm.Length is not (2 or 6) || norm[half..].Any(v => v <= 0))
            {
                throw new ArgumentException($"--normalize {p.GetValue(normalize)}: give MEAN,STD or, per channel, M1,M2,M3,S1,S2,S3 (each STD > 0)");
            }

            var m = import.Model;
            int[] sample = import.InputShape;
            var extra = new Dictionary<string, EnbValue>();
            if (p.GetValue(classes) is { } classFile)
            {
                string[] names = File.ReadAllLines(classFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
                int outputs = m.Outputs[0].SampleShape.AsSpan()[^1];
                if (names.Length != outputs)
                {
                    throw new ArgumentException($"--classes {classFile}: {names.Length} names, the model has {outputs} outputs: give one name per line, in output order");
                }

                extra[MetadataKeys.ClassNames.Name] = EnbValue.Strings(names);
            }

            var schemes = ExportCommand.Schemes(p.GetValue(quantize)!);
            var reports = new List<ExportReport>();
            float[] probe;
            if (p.GetValue(data) is { } spec)
            {
                if (sample is not [int h, int w, int c])
                {
                    throw new ArgumentException($"--calibration {spec}: images are for an image model; this one takes [{string.Join(", ", sample)}]");
                }

                // x/255 → (x − mean)/std: scale 1/(255·std), offset −mean/std (per channel with six values).
                var color = c == 3 ? (spec.StartsWith("fashion", StringComparison.Ordinal) ? ColorMode.GreyAsRgb : ColorMode.Rgb) : ColorMode.Grey;
                if (half == 3 && c != 3)
                {
                    throw new ArgumentException($"--normalize {p.GetValue(normalize)}: three means and stds for a model of {c} channel(s)");
                }

                var pipeline = half == 1
                    ? new ImagePipeline(h, w, c, color, ResizeMode.Bilinear, 1f / (255f * norm[1]), -norm[0] / norm[1])
                    : new ImagePipeline(h, w, c, color, ResizeMode.Bilinear, [.. Enumerable.Range(0, 3).Select(i => 1f / (255f * norm[3 + i]))], [.. Enumerable.Range(0, 3).Select(i => -norm[i] / norm[3 + i])]);
                var (train, test) = MobileNetTraining.LoadImages(spec, pipeline);
                foreach (var scheme in schemes)
                {
                    reports.Add(ModelExporter.Export(m, ExportCommand.Target(target, scheme, schemes.Length), Options(scheme, p.GetValue(samples)), train, test, (net, t) => ChapterLoop.Accuracy(net, t), p.GetValue(evalLimit), extra));
                }

                probe = test.Inputs(0, Math.Min(8, test.Count));
            }
            else
            {
                if (schemes.Contains(QuantizationScheme.Int8))
                {
                    throw new ArgumentException("int8 needs representative inputs for its activation ranges: give --calibration fashion|FOLDER");
                }

                var rng = new Random(1);
                int per = sample.Aggregate(1, (a, d) => a * d);
                probe = Enumerable.Range(0, 8 * per).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
                foreach (var scheme in schemes)
                {
                    reports.Add(ModelExporter.ExportSamples(m, ExportCommand.Target(target, scheme, schemes.Length), Options(scheme, 8), [new NDArray(probe, [8, .. sample])], extra));
                }
            }

            ExportCommand.Print(reports);
            if (p.GetValue(check))
            {
                Console.WriteLine(string.Create(Inv, $"largest difference: {Check(path, m, sample, probe):E2} (the imported model against ONNX Runtime on {probe.Length / sample.Aggregate(1, (a, d) => a * d)} inputs, relative to the output's range)"));
            }
        }));
        return cmd;
    }

    private static QuantizationOptions Options(QuantizationScheme scheme, int samples) => new() { Scheme = scheme, CalibrationSamples = samples };

    private static void PrintImport(string path, OnnxImport import)
    {
        var table = new Table().AddColumns("ONNX node", "operator", "EdgeNet layer", "note");
        foreach (var r in import.Rows)
        {
            table.AddRow(Markup.Escape(r.Nodes), Markup.Escape(r.OpTypes), Markup.Escape(r.Layer.Length > 0 ? r.Layer : "-"), Markup.Escape(r.Note));
        }

        AnsiConsole.Write(table);
        long ours = import.Model.CountParams();
        Console.WriteLine(string.Create(Inv, $"{Path.GetFileName(path)}: opset {import.Opset}, written by {(import.Producer.Length > 0 ? import.Producer : "?")}; {import.Rows.Count} rows; parameters: {ours:N0} in the Keras model, {import.FileParameters:N0} in the file's initializers (Identity copies counted)"));
    }

    /// <summary>Largest |imported − ONNX Runtime| over <paramref name="inputs"/> (NHWC), relative to ORT's output range.</summary>
    internal static double Check(string path, Model m, int[] sample, float[] inputs)
    {
        int per = sample.Aggregate(1, (a, d) => a * d), n = inputs.Length / per;
        float[] ours;
        using (var scope = TensorScope.Begin())
        {
            ours = m.Predict(EdgeNet.Trainer.Tensors.Tensor.FromArray(inputs, [n, .. sample])).ToArray();
        }

        using var session = new InferenceSession(path);
        var meta = session.InputMetadata.First();
        float[] onnxInput = inputs;
        int[] onnxShape = [n, .. sample];
        if (sample is [int h, int w, int c])
        {
            onnxInput = new float[inputs.Length]; // NHWC → NCHW
            for (int b = 0; b < n; b++)
            {
                for (int y = 0; y < h; y++)
                {
                    for (int x = 0; x < w; x++)
                    {
                        for (int k = 0; k < c; k++)
                        {
                            onnxInput[(((((b * c) + k) * h) + y) * w) + x] = inputs[(((((b * h) + y) * w) + x) * c) + k];
                        }
                    }
                }
            }

            onnxShape = [n, c, h, w];
        }

        var theirs = new List<float>();
        for (int b = 0; b < n; b++)
        {
            // One sample per run: a file exported with a fixed batch of 1 takes no more.
            int[] one = [1, .. onnxShape[1..]];
            var t = new DenseTensor<float>(onnxInput.AsMemory(b * per, per), one);
            using var r = session.Run([NamedOnnxValue.CreateFromTensor(meta.Key, t)]);
            theirs.AddRange(r[0].AsEnumerable<float>());
        }

        if (theirs.Count != ours.Length)
        {
            throw new InvalidOperationException($"ONNX Runtime gives {theirs.Count} outputs, the imported model {ours.Length}");
        }

        float lo = theirs.Min(), hi = theirs.Max();
        double range = Math.Max(hi - lo, 1e-12), worst = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(ours[i] - theirs[i]) / range);
        }

        return worst;
    }
}
