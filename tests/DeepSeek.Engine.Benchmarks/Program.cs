using BenchmarkDotNet.Running;
using DeepSeek.Engine.Benchmarks;

if (args.Contains("--compress-times"))
{
    return CompressionTimes.Run();
}

BenchmarkSwitcher.FromAssembly(typeof(InferenceBenchmarks).Assembly).Run(args);
return 0;
