namespace DeepSeek.Cli.Tests;

/// <summary>Runs the command line in process (fast) or as the real <c>deepseek</c> process.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = DeepSeekCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The real <c>deepseek</c> process.</summary>
    public static (int ExitCode, string Output, string Error) RunProcess(params string[] args)
    {
        var result = DeepSeek.Testing.ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "DeepSeek.Cli.dll"), .. args], timeout: TimeSpan.FromMinutes(1));
        return (result.ExitCode, result.Output, result.Error);
    }
}
