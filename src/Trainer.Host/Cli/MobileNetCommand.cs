using System.CommandLine;
using System.Globalization;
using EdgeNet.Trainer.Keras.Callbacks;
using EdgeNet.Trainer.Models;
using Spectre.Console;

namespace EdgeNet.Trainer.Cli;

/// <summary><c>edgenet-train mobilenet</c>: the chapter's MobileNetV2(weights=None) trained with training=True; the procedure is <see cref="MobileNetTraining"/>.</summary>
internal static class MobileNetCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = MobileNetTraining.DataHelp, DefaultValueFactory = _ => "fashion" };
        var alpha = new Option<double>("--alpha") { Description = "width multiplier (Keras: 0.35, 0.5, 0.75, 1.0, 1.3, 1.4)", DefaultValueFactory = _ => 0.35 };
        var size = new Option<int>("--size") { Description = "input height and width (images are resized and centre-cropped to it)", DefaultValueFactory = _ => 96 };
        var classes = new Option<int?>("--classes") { Description = "classes of the top (checked against the data: tf_flowers has 5, Fashion-MNIST 10)" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 3 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 64 };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3f };
        var momentum = new Option<float>("--bn-momentum") { Description = "BatchNormalization momentum (Keras' MobileNetV2: 0.999; BatchNormalization's default: 0.99)", DefaultValueFactory = _ => 0.999f };
        var recalibrate = new Option<int>("--recalibrate-bn") { Description = "after training, recompute the BN moving statistics from N training batches (0: keep Keras' moving averages)", DefaultValueFactory = _ => 100 };
        var stepsPerEpoch = new Option<int?>("--steps-per-epoch") { Description = "end each epoch after N steps (quick runs)" };
        var limit = new Option<int?>("--train-limit") { Description = "use only the first N training images" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "save the trained float model here after every epoch (weights, BN statistics, optimizer state; export it with 'edgenet-train export'), the curves as PNG beside it" };
        var device = DeviceOptions.Create();
        var cmd = new Command("mobilenet", "Train the chapter's MobileNetV2(weights=None) with BatchNormalization in training mode, on Fashion-MNIST resized to --size or on a folder of CLASS/*.jpg.")
        {
            data, alpha, size, classes, epochs, batch, lr, momentum, recalibrate, stepsPerEpoch, limit, seed, output, device,
        };
        cmd.SetAction(p => Cli.Guard(() =>
        {
            using var backend = EdgeNet.Trainer.Backends.Device.Select(p.GetValue(device));
            var (train, test) = MobileNetTraining.LoadImages(p.GetValue(data)!, p.GetValue(size));
            if (p.GetValue(limit) is int n)
            {
                train = new Data.ImageBatches(train.Dataset.Take(n), train.Pipeline);
            }

            int k = train.Dataset.ClassNames.Count;
            if (p.GetValue(classes) is int c && c != k)
            {
                throw new ArgumentException($"--classes {c}: the data has {k} classes ({string.Join(", ", train.Dataset.ClassNames)}); pass --classes {k} or leave it out");
            }

            var options = new MobileNetTrainingOptions
            {
                Alpha = p.GetValue(alpha),
                Size = p.GetValue(size),
                Epochs = p.GetValue(epochs),
                BatchSize = p.GetValue(batch),
                LearningRate = p.GetValue(lr),
                BnMomentum = p.GetValue(momentum),
                RecalibrateBatches = p.GetValue(recalibrate),
                StepsPerEpoch = p.GetValue(stepsPerEpoch),
                Seed = p.GetValue(seed),
            };
            Console.WriteLine($"MobileNetV2 alpha {options.Alpha.ToString(Inv)} {options.Size}x{options.Size}x3, {k} classes, on {train.Dataset.Name} ({train.Count} images, {train.Pipeline}), " +
                $"test {test.Dataset.Name} ({test.Count}); {options.Epochs} epochs of batch {options.BatchSize}, Adam {options.LearningRate.ToString(Inv)}, BN momentum {options.BnMomentum.ToString(Inv)}, device {EdgeNet.Trainer.Backends.Device.Name}");
            var callbacks = new List<Callback>();
            if (p.GetValue(output) is { } path)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                callbacks.Add(new ModelCheckpoint(path));
            }

            var r = MobileNetTraining.Train(train, test, options, callbacks, AnsiConsole.Profile.Capabilities.Interactive ? 1 : 2);
            Console.WriteLine($"{r.Model.Name}: {r.Model.CountParams():N0} parameters ({r.Model.TrainableVariables.Sum(v => v.Shape.Size):N0} trainable)");
            Console.WriteLine($"trained {r.Steps} steps in {r.TrainSeconds.ToString("F1", Inv)} s ({r.StepsPerSecond.ToString("F2", Inv)} steps/s, validation excluded)");
            Console.WriteLine($"test accuracy (inference mode, moving statistics): {r.TestAccuracy.ToString("F4", Inv)}");
            if (r.RecalibratedAccuracy is { } after)
            {
                Console.WriteLine($"test accuracy after recomputing the BN statistics from {options.RecalibrateBatches} batches ({r.RecalibrationSeconds.ToString("F1", Inv)} s): {after.ToString("F4", Inv)}");
            }

            if (p.GetValue(output) is { } outPath)
            {
                r.Model.Save(outPath);
                HistoryPlot.Save(r.History, Path.ChangeExtension(outPath, ".png"));
                Console.WriteLine($"saved {outPath} (curves: {Path.ChangeExtension(outPath, ".png")})");
            }
        }));
        return cmd;
    }
}
