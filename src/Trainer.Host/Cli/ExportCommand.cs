using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Data;
using System.CommandLine;
using System.Globalization;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Models;
using Spectre.Console;

namespace EdgeNet.Trainer.Cli;

/// <summary><c>edgenet-train export MODEL --to FILE --quantize f32|f16|int8</c> with an accuracy report.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "a float model saved by 'edgenet-train mlp|cnn --out'" };
        var to = new Option<string>("--to") { Description = "the .enb blob to write", Required = true };
        var quantize = new Option<string>("--quantize") { Description = "f32 | f16 | int8 | all (writes FILE with -f32/-f16/-int8 suffixes and compares them)", DefaultValueFactory = _ => "int8" };
        var calibration = new Option<int>("--calibration") { Description = "representative samples for int8 activation ranges", DefaultValueFactory = _ => 500 };
        var percentile = new Option<double?>("--percentile") { Description = "calibrate ranges on this percentile (e.g. 99.99) instead of min/max" };
        var data = new Option<string>("--data") { Description = "dataset for calibration and the accuracy report: " + EdgeNet.Formats.Data.Datasets.SpecHelp, DefaultValueFactory = _ => "digits" };
        var evalLimit = new Option<int>("--eval-limit") { Description = "test samples for the accuracy report (the int8 accuracy runs the scalar reference interpreter: slow on MobileNetV2; 'edgenet eval' measures the whole test set on the board's kernels)", DefaultValueFactory = _ => int.MaxValue };
        var onnx = new Option<string?>("--onnx") { Description = "also write the float model as ONNX (opset 17) here" };
        var cmd = new Command("export", "Quantize a trained model and export it as an .enb blob for the edge runtime, with an accuracy report.")
        {
            model, to, quantize, calibration, percentile, data, evalLimit, onnx,
        };
        cmd.SetAction(p => Cli.Guard(() =>
        {
            var m = Model.Load(p.GetValue(model)!);
            // A model trained through an image pipeline (MobileNetV2) says so in its metadata: calibrate and measure
            // on the same resized, normalized images, and let the blob carry the pipeline to the board.
            var pipeline = m.Metadata.ContainsKey(MetadataKeys.InputResize.Name)
                ? ImagePipeline.FromMetadata(k => m.Metadata.GetValueOrDefault(k.Name), p.GetValue(model)!)
                : null;
            var images = pipeline is null ? default : MobileNetTraining.LoadImages(p.GetValue(data)!, pipeline);
            var split = pipeline is null ? TrainCommands.LoadImages(p.GetValue(data)!) : null;
            string target = p.GetValue(to)!;
            var schemes = Schemes(p.GetValue(quantize)!);
            var reports = new List<ExportReport>();
            foreach (var scheme in schemes)
            {
                string path = Target(target, scheme, schemes.Length);
                var options = new QuantizationOptions
                {
                    Scheme = scheme,
                    CalibrationSamples = p.GetValue(calibration),
                    Calibration = p.GetValue(percentile) is null ? CalibrationMethod.MinMax : CalibrationMethod.Percentile,
                    Percentile = p.GetValue(percentile) ?? 99.99,
                };
                reports.Add(split is not null
                    ? ModelExporter.Export(m, path, options, split, (net, test) => ChapterLoop.Accuracy(net, test), p.GetValue(evalLimit))
                    : ModelExporter.Export(m, path, options, images.Train, images.Test, (net, test) => ChapterLoop.Accuracy(net, test), p.GetValue(evalLimit)));
            }

            Print(reports);
            if (p.GetValue(onnx) is { } onnxPath)
            {
                if (split is not null)
                {
                    OnnxExporter.Export(m, onnxPath, [split.Train.Height, split.Train.Width, split.Train.Channels], split.Train.Images.AsSpan(0, split.Train.SampleSize).ToArray());
                }
                else
                {
                    OnnxExporter.Export(m, onnxPath, [pipeline!.Height, pipeline.Width, pipeline.Channels], images.Train.Inputs(0, 1));
                }

                Console.WriteLine($"wrote {onnxPath} (ONNX opset 17)");
            }
        }));
        return cmd;
    }

    /// <summary>The schemes --quantize names: f32, f16, int8 or all three.</summary>
    internal static QuantizationScheme[] Schemes(string quantize)
    {
        string q = quantize.ToLowerInvariant();
        return q == "all"
            ? [QuantizationScheme.F32, QuantizationScheme.F16, QuantizationScheme.Int8]
            : [q switch
            {
                "f32" => QuantizationScheme.F32,
                "f16" => QuantizationScheme.F16,
                "int8" => QuantizationScheme.Int8,
                _ => throw new ArgumentException($"--quantize must be f32, f16, int8 or all, not '{q}'"),
            }];
    }

    /// <summary>Where one scheme's blob goes: --to itself, or with a -f32/-f16/-int8 suffix when several are written; its folder made.</summary>
    internal static string Target(string target, QuantizationScheme s, int schemes)
    {
        string ext = Path.GetExtension(target);
        string path = schemes == 1 ? target : target[..^ext.Length] + "-" + s.ToString().ToLowerInvariant() + ext;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return path;
    }

    internal static void Print(IReadOnlyList<ExportReport> reports)
    {
        var inv = CultureInfo.InvariantCulture;
        long f32 = reports.FirstOrDefault(r => r.Scheme == QuantizationScheme.F32)?.Bytes ?? 0;
        var table = new Table().AddColumns("blob", "scheme", "bytes", "vs f32", "float acc", "blob acc", "Δ points");
        foreach (var r in reports)
        {
            table.AddRow(Markup.Escape(Path.GetFileName(r.Path)), r.Scheme.ToString().ToLowerInvariant(), r.Bytes.ToString("N0", inv),
                f32 > 0 ? (100.0 * r.Bytes / f32).ToString("F1", inv) + "%" : "-",
                r.FloatAccuracy?.ToString("F4", inv) ?? "-", r.QuantizedAccuracy?.ToString("F4", inv) ?? "-",
                r.FloatAccuracy is { } fa && r.QuantizedAccuracy is { } qa ? (100 * (qa - fa)).ToString("+0.00;-0.00", inv) : "-");
        }

        AnsiConsole.Write(table);
        foreach (var r in reports.Where(r => r.Scheme != QuantizationScheme.F32))
        {
            // The title as its own line: a table title wraps at the (narrow) table's width.
            AnsiConsole.WriteLine($"per-layer error, {r.Scheme.ToString().ToLowerInvariant()} (relative to each layer's max |activation|):");
            var layers = new Table().AddColumns("value", "max rel", "mean rel");
            foreach (var l in r.Layers)
            {
                layers.AddRow(Markup.Escape(l.Value), l.MaxRelative.ToString("E2", inv), l.MeanRelative.ToString("E2", inv));
            }

            AnsiConsole.Write(layers);
        }
    }
}
