using BenchmarkDotNet.Running;
using DeepSeek.Analyzers.Benchmarks;

if (args.Contains("--count"))
{
    // How many DeepSeek diagnostics the generated project gets (a check that the analyzers are really at work).
    var benchmark = new CompileTimeBenchmarks();
    benchmark.Setup();
    Console.WriteLine($"{benchmark.WithAnalyzers()} diagnostics with the analyzers, {benchmark.Compiler()} without");
    return 0;
}

if (args.Contains("--build"))
{
    return BuildTimes.Run(rounds: 5);
}

BenchmarkSwitcher.FromAssembly(typeof(CompileTimeBenchmarks).Assembly).Run(args);
return 0;
