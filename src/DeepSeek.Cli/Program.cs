using DeepSeek.Cli;

return DeepSeekCli.Run(args, Console.Out, Console.Error, interactive: !Console.IsErrorRedirected);
