using System.CommandLine;
using EdgeNet.Formats.Data;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Keras.Optimizers;

namespace EdgeNet.Trainer.Cli;

/// <summary>The <c>edgenet-train</c> command line.</summary>
public static class Cli
{
    public static int Run(string[] args)
    {
        if (Console.IsOutputRedirected)
        {
            // Piped or logged: no terminal width to fit, so tables print whole lines instead of wrapping
            // cells at Spectre's fallback of 80 columns (file names broke across lines).
            Spectre.Console.AnsiConsole.Profile.Width = 400;
        }

        var root = new RootCommand("EdgeNet trainer: Keras-style training of the chapter's models, quantization and export.")
        {
            TrainCommands.ImageCommand("mlp"),
            TrainCommands.ImageCommand("cnn"),
            MobileNetCommand.Create(),
            TrainCommands.LstmCommand(),
            DqnCommand.Create(),
            ExportCommand.Create(),
            ImportCommand.Create(),
            DeviceOptions.DevicesCommand(),
            PlotCommand.Create(),
            FleetCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }

    /// <summary>Expected failures (bad data, bad blob, NaN) print one clear line and exit 2.</summary>
    internal static int Guard(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is DatasetException or EnbFormatException or NonFiniteGradientException or ArgumentException or InvalidDataException or FileNotFoundException or Import.OnnxImportException or Backends.OpenCL.OpenClException or Fleet.Transport.FleetConnectionException or Fleet.FleetPayloadException or Runtime.RuntimeModelException or IOException)
        {
            Console.Error.WriteLine($"edgenet-train: {e.Message}");
            return 2;
        }
    }
}
