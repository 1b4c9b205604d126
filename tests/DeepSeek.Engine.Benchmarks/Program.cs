using BenchmarkDotNet.Running;
using DeepSeek.Engine.Benchmarks;

if (args.Contains("--incremental-build"))
{
    // The repository root: this project's folder is tests/DeepSeek.Engine.Benchmarks.
    var repository = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
    return IncrementalBuild.Run(repository);
}

if (args.Contains("--decoder-sizes"))
{
    var repository = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
    var rest = args.SkipWhile(a => a != "--decoder-sizes").Skip(1).ToList();
    var memory = rest.IndexOf("--max-memory") is var at and >= 0 && at + 1 < rest.Count ? rest[at + 1] : null;
    var recipes = rest.IndexOf("--recipes") is var r and >= 0 && r + 1 < rest.Count ? rest[r + 1].Split(',') : null;
    return DecoderSizes.Run(repository, rest.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList(), memory, recipes);
}

if (args.Contains("--pruning-ratios"))
{
    var rest = args.SkipWhile(a => a != "--pruning-ratios").Skip(1).ToList();
    var rounds = rest.Count > 0 && int.TryParse(rest[0], out var count) && count > 0 ? count : 0;
    return PruningRatios.Run(rounds > 0 ? rounds : 15, rest.Skip(rounds > 0 ? 1 : 0).TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList());
}

if (args.Contains("--compress-times"))
{
    return CompressionTimes.Run();
}

BenchmarkSwitcher.FromAssembly(typeof(InferenceBenchmarks).Assembly).Run(args);
return 0;
