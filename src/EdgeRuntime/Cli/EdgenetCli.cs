using System.CommandLine;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Runtime.Cli;

/// <summary>The <c>edgenet</c> command line.</summary>
public static class EdgenetCli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("EdgeNet edge runtime: run, evaluate and inspect .enb model blobs on the board.");
        root.Subcommands.Add(InspectCommand(stdout, stderr));
        root.Subcommands.Add(DiffCommand.Create(stdout, stderr));
        root.Subcommands.Add(RunCommands.Run(stdout, stderr));
        root.Subcommands.Add(RunCommands.Eval(stdout, stderr));
        root.Subcommands.Add(RunCommands.Generate(stdout, stderr));
        root.Subcommands.Add(RunCommands.Bench(stdout, stderr));
        root.Subcommands.Add(RolloutCommand.Create(stdout, stderr));
        if (Features.System)
        {
            root.Subcommands.Add(SystemCommand.Create(stdout, stderr));
        }
        if (Features.Camera)
        {
            root.Subcommands.Add(CameraCommand.Camera(stdout, stderr));
            root.Subcommands.Add(CameraCommand.Classify(stdout, stderr));
        }

        if (Features.Rig)
        {
            root.Subcommands.Add(RigCommand.Create(stdout, stderr));
            if (Features.Fleet)
            {
                root.Subcommands.Add(FleetCommand.Create(stdout, stderr));
            }
        }

        if (Features.Training)
        {
            root.Subcommands.Add(FinetuneCommand.Create(stdout, stderr));
            root.Subcommands.Add(LearnCommand.Create(stdout, stderr));
        }

        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        return root.Parse(args).Invoke(config);
    }

    private static Command InspectCommand(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<FileInfo>("file") { Description = "the .enb blob to describe" };
        var verify = new Option<bool>("--verify") { Description = "also check every tensor's xxHash64" };
        var cmd = new Command("inspect", "Print a blob's header, metadata, tensor table and layers.") { file, verify };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            return Guard(stderr, () =>
            {
                using var reader = BlobReader.Open(path.FullName, new BlobReadOptions { VerifyTensorHashes = parse.GetValue(verify) });
                BlobInspector.Write(reader, stdout);
                if (parse.GetValue(verify))
                {
                    stdout.WriteLine();
                    stdout.WriteLine($"verified: all {reader.Tensors.Count} tensor hashes match");
                }
            });
        });
        return cmd;
    }

    /// <summary>Turns the expected failures into one clear line and exit code 2; bugs still crash loudly.</summary>
    internal static int Guard(TextWriter stderr, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (EnbFormatException e)
        {
            stderr.WriteLine($"edgenet: {e.Message}");
            return 2;
        }
        catch (FileNotFoundException e)
        {
            stderr.WriteLine($"edgenet: {e.Message}");
            return 2;
        }
        catch (RigHardwareCheckFailed)
        {
            return 1;
        }
        catch (Exception e) when (e is Rig.Config.RigConfigException or Rig.Devices.RigHardwareException or Rig.Control.RigSafetyException or Training.NonFiniteGradientException or IOException)
        {
            stderr.WriteLine($"edgenet: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or RuntimeModelException or Formats.Data.DatasetException or InvalidDataException or ArgumentException or Deploy.DeployException or Fleet.Transport.FleetConnectionException or Fleet.FleetPayloadException)
        {
            stderr.WriteLine($"edgenet: {e.Message}");
            return 2;
        }
    }
}
