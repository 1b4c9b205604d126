using DeepSeek.Cli;

// DEEPSEEK_PROGRESS=lines (set by the build's tasks): progress as "progress: ..." lines on stderr, which the build logs.
return DeepSeekCli.Run(args, Console.Out, Console.Error, interactive: !Console.IsErrorRedirected,
    progressLines: Environment.GetEnvironmentVariable(DeepSeekCli.ProgressVariable) == "lines");
