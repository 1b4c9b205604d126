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
        var publish = ProcessRunner.Run("dotnet", ["publish", project, "-c", "Release", "-r", "linux-x64", "-p:TrimSample=true", "-o", temp.Path, "-nodeReuse:false"]);
        Assert.True(publish.ExitCode == 0, publish.Log);
        Assert.DoesNotContain("warning IL", publish.Log, StringComparison.Ordinal);

        var run = ProcessRunner.Run(Path.Combine(temp.Path, "MnistApp"), []);
        Assert.True(run.ExitCode == 0, run.Log);
        Assert.Contains("10/10 correct", run.Log, StringComparison.Ordinal);
    }
}
