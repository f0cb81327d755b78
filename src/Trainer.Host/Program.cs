return EdgeNet.Trainer.Cli.Cli.Run(args);
