using System.CommandLine;
using System.Diagnostics;
using EdgeNet.Formats.Data;
using EdgeNet.Runtime.Input;
using EdgeNet.Runtime.Training;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Cli;

/// <summary><c>edgenet finetune</c>: an image model learns on the board from labelled images, measured before and after on held-out ones; the procedure is <see cref="FineTuning"/>.</summary>
internal static class FinetuneCommand
{
    private static readonly IFormatProvider Inv = System.Globalization.CultureInfo.InvariantCulture;

    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "an f32 or f16 image-model blob (grey digits, or RGB such as MobileNetV2: fed as its metadata says)" };
        var data = new Option<string>("--data") { Description = Datasets.SpecHelp + ", or a folder of labelled images CLASS/*.png|jpg (80% train, 20% held out)", Required = true };
        var output = new Option<string>("--out") { Description = "the fine-tuned blob (written atomically)", Required = true };
        var layers = new Option<string>("--layers") { Description = "what learns: all, last:K, or layer names (comma-separated); what is below runs frozen (MobileNetV2: last:1 trains the classifier)", DefaultValueFactory = _ => "all" };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 200 };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3f };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 32 };
        var trainLimit = new Option<int>("--train-limit") { Description = "train on the first N samples of the training part", DefaultValueFactory = _ => int.MaxValue };
        var evalLimit = new Option<int>("--eval-limit") { Description = "held-out samples measured before and after", DefaultValueFactory = _ => 1000 };
        var rotate = new Option<string?>("--rotate") { Description = "rotate every image by MIN:MAX degrees, either way (a new camera mount), e.g. 20:30" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var int8 = new Option<bool>("--int8") { Description = "write the result re-quantized to int8 (activation ranges from --calibration training samples), so the board acts in int8" };
        var calibration = new Option<int>("--calibration") { Description = "with --int8: training samples whose activations set the int8 ranges", DefaultValueFactory = _ => 500 };
        var printLosses = new Option<bool>("--print-losses") { Description = "also print every step's loss on one line (for comparing machines)" };
        var variant = RunCommands.Variant();
        var threads = RunCommands.Threads();
        var cmd = new Command("finetune", "Fine-tune an image model on the board (Adam, sparse cross-entropy) and write the new blob; prints the held-out accuracy before and after.")
        {
            model, data, output, layers, steps, lr, batch, trainLimit, evalLimit, rotate, seed, int8, calibration, printLosses, variant, threads,
        };
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            var interp = RunCommands.Options(p, variant, threads, 50);
            var options = new FineTuneOptions
            {
                Model = p.GetValue(model)!,
                Data = p.GetValue(data)!,
                Output = p.GetValue(output)!,
                Layers = p.GetValue(layers)!,
                Steps = p.GetValue(steps),
                LearningRate = p.GetValue(lr),
                Batch = p.GetValue(batch),
                TrainLimit = p.GetValue(trainLimit),
                EvalLimit = p.GetValue(evalLimit),
                Rotate = p.GetValue(rotate) is { } r ? ParseRange(r) : null,
                Seed = p.GetValue(seed),
                Int8 = p.GetValue(int8),
                Calibration = p.GetValue(calibration),
                Variant = interp.Variant,
                Threads = interp.Threads,
            };
            var result = FineTuning.Run(options, new Printer(o));
            if (p.GetValue(printLosses))
            {
                o.WriteLine("losses: " + CliFormat.Floats(result.Losses));
            }

            double gain = result.After - result.Before;
            o.WriteLine($"after:  accuracy {result.After.ToString("F4", Inv)} on the same held-out samples{(options.Int8 ? ", int8 on the board" : "")} ({(gain >= 0 ? "+" : "")}{(gain * 100).ToString("F1", Inv)} points)");
            o.WriteLine($"wrote {options.Output}: {options.Steps} steps in {result.Seconds.ToString("F1", Inv)} s ({(result.Seconds * 1e3 / options.Steps).ToString("F1", Inv)} ms/step), peak RSS {(RunCommands.PeakRssBytes() / 1048576.0).ToString("F1", Inv)} MiB");
        }));
        return cmd;
    }

    /// <summary>Prints the fine-tune's progress as the command always has.</summary>
    private sealed class Printer(TextWriter o) : IFineTuneProgress
    {
        public void Before(double accuracy, int count, string name) => o.WriteLine($"before: accuracy {accuracy.ToString("F4", Inv)} on {count} held-out samples of {name}");

        public void Started(TrainingSession session, int samples, int steps, int batch) =>
            o.WriteLine($"training {string.Join(", ", session.TrainableLayers)} on {samples} samples: {steps} steps of batch {batch}, {session.Options.OptimizerText}, arena {session.ArenaBytes.ToString("N0", Inv)} B" +
                (session.FrozenOperators > 0 ? $"; the {session.FrozenOperators} operators below run frozen (forward only, the inference kernels)" : ""));

        public void Step(int step, int total, float loss, double seconds)
        {
            if (step % Math.Max(1, total / 10) == 0 || step == total)
            {
                o.WriteLine($"  step {step,5}/{total}: loss {loss.ToString("F4", Inv)}  ({seconds.ToString("F1", Inv)} s)");
            }
        }

        public void FloatAfter(double accuracy) => o.WriteLine($"after:  accuracy {accuracy.ToString("F4", Inv)} with the float weights");
    }

    private static (double Min, double Max) ParseRange(string text)
    {
        var parts = text.Split(':');
        if (parts.Length == 2 && double.TryParse(parts[0], System.Globalization.NumberStyles.Float, Inv, out double lo) && double.TryParse(parts[1], System.Globalization.NumberStyles.Float, Inv, out double hi))
        {
            return (lo, hi);
        }

        throw new ArgumentException($"--rotate '{text}': give MIN:MAX degrees, e.g. 20:30");
    }
}
