using System.Diagnostics;

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

    public static (int ExitCode, string Output, string Error) RunProcess(params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "DeepSeek.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(cli);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "deepseek did not exit within a minute");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
