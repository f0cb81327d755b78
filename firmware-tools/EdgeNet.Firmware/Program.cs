using EdgeNet.Firmware.Cli;

return FirmwareCli.Run(args, Console.Out, Console.Error);
