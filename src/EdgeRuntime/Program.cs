using EdgeNet.Runtime.Cli;

return EdgenetCli.Run(args, Console.Out, Console.Error);
