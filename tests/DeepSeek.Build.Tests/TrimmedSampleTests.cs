using System.Diagnostics;
using System.Reflection;
using DeepSeek.Testing;

namespace DeepSeek.Build.Tests;

/// <summary>The sample, with its generated wrapper, published trimmed and self-contained: no trim warning, and it still runs.</summary>
public sealed class TrimmedSampleTests
{
    [Fact]
    public void The_sample_publishes_trimmed_without_warnings_and_runs()
    {
        using var temp = new TempDirectory();
        var project = Path.GetFullPath(typeof(TrimmedSampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SampleProject").Value!);
        var (code, log) = Run("dotnet", "publish", project, "-c", "Release", "-r", "linux-x64", "-p:TrimSample=true", "-o", temp.Path, "-nodeReuse:false");
        Assert.True(code == 0, log);
        Assert.DoesNotContain("warning IL", log, StringComparison.Ordinal);

        (code, log) = Run(Path.Combine(temp.Path, "MnistApp"));
        Assert.True(code == 0, log);
        Assert.Contains("10/10 correct", log, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Log) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(600_000), $"{file} did not finish in 10 minutes");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
