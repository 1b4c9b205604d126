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
    return DecoderSizes.Run(repository, args.SkipWhile(a => a != "--decoder-sizes").Skip(1).ToList());
}

if (args.Contains("--compress-times"))
{
    return CompressionTimes.Run();
}

BenchmarkSwitcher.FromAssembly(typeof(InferenceBenchmarks).Assembly).Run(args);
return 0;
