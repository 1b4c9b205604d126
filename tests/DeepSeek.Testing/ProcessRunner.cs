using System.Diagnostics;

namespace DeepSeek.Testing;

/// <summary>Runs a real process (dotnet, the deepseek CLI, a published app) and returns its exit code, stdout and stderr.</summary>
public static class ProcessRunner
{
    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/>; stdout and stderr are read concurrently. <c>Log</c> is both.
    /// MSBuild node reuse is off, so that no build server outlives the test. Throws <see cref="TimeoutException"/> past the limit.
    /// </summary>
    public static Result Run(string file, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromMinutes(10);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {limit}");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Runs <c>dotnet</c> with <paramref name="args"/> in <paramref name="directory"/> (build servers off, as for every run)
    /// and returns its exit code and whole log: what the end-to-end tests of built apps and packages check.
    /// </summary>
    public static (int ExitCode, string Log) Dotnet(string directory, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var result = Run("dotnet", args, directory, environment, timeout);
        return (result.ExitCode, result.Log);
    }

    /// <summary>What a process did.</summary>
    /// <param name="ExitCode">Its exit code.</param>
    /// <param name="Output">Its standard output.</param>
    /// <param name="Error">Its standard error.</param>
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        /// <summary>Standard output then standard error.</summary>
        public string Log => Output + Error;
    }
}
