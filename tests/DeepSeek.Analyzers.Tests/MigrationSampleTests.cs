using DeepSeek.Testing;

namespace DeepSeek.Analyzers.Tests;

/// <summary>
/// samples/Migration, written against the 1.x, 2.x and 3.0 APIs, migrates to 3.x with one `dotnet format analyzers` run and
/// then builds with no DSM warning — on a copy, at the same depth in the repository (its project references are relative).
/// </summary>
public sealed class MigrationSampleTests : IDisposable
{
    private static readonly string[] Ids = ["DSM0001", "DSM0003", "DSM0004", "DSM0007", "DSM0008", "DSM0011"];
    private readonly string copy = Path.Combine(TestAssets.RepositoryRoot, ".e2e", "migration-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public void The_sample_migrates_with_dotnet_format_and_builds_without_dsm_warnings()
    {
        var sample = Path.Combine(TestAssets.RepositoryRoot, "samples", "Migration");
        Directory.CreateDirectory(copy);
        foreach (var file in new[] { "Migration.csproj", "Program.cs" })
        {
            File.Copy(Path.Combine(sample, file), Path.Combine(copy, file));
        }

        var (code, log) = Dotnet("build");
        Assert.True(code == 0, log);
        foreach (var id in Ids)
        {
            Assert.Contains($"warning {id}:", log, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("is obsolete", log, StringComparison.Ordinal); // the compiler's duplicates are suppressed

        // One run migrates it: the command README shows, exactly once.
        (code, log) = Dotnet(["format", "analyzers", "Migration.csproj", "--diagnostics", .. Ids, "--severity", "info"]);
        Assert.True(code == 0, log);
        Assert.DoesNotContain("Unable to fix", log, StringComparison.Ordinal);
        var migrated = File.ReadAllText(Path.Combine(copy, "Program.cs"));
        foreach (var old in new[] { "new Int8Quantizer(", "new ChannelPruner(", "DistributedLauncher.Launch(", "optim.Adam(", ".Step()", ".ZeroGrad()" })
        {
            Assert.DoesNotContain(old, migrated, StringComparison.Ordinal);
        }

        foreach (var current in new[] { "new DynamicQuantizer(model, bits: 8)", "new StructuredPruner(model, 0.25, ChannelNorm.L1)", "new DeepSeekOptimizer(model.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0)", "new DeepSeekDistributed(\"gloo\")", "averaged.zero_grad();", "averaged.step();", "optimizer.zero_grad();", "optimizer.step();" })
        {
            Assert.Contains(current, migrated, StringComparison.Ordinal);
        }

        (code, log) = Dotnet("build");
        Assert.True(code == 0, log);
        Assert.DoesNotContain("DSM0", log, StringComparison.Ordinal);

        // and the migrated program trains: the launcher's scope, the pruned and quantized model, both optimizer loops
        (code, log) = Dotnet("run", "--no-build");
        Assert.True(code == 0, log);
        Assert.Matches(@"rank 0: loss \d+\.\d{3}", log);
    }

    public void Dispose()
    {
        if (Directory.Exists(copy))
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private (int Code, string Log) Dotnet(params string[] args) => ProcessRunner.Dotnet(copy, args, timeout: TimeSpan.FromMinutes(5));
}
