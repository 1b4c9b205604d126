using BenchmarkDotNet.Running;
using DeepSeek.Onnx.Benchmarks;

if (args.Contains("--memory"))
{
    return MemoryCheck.Run();
}

BenchmarkSwitcher.FromAssembly(typeof(ModelIoBenchmarks).Assembly).Run(args);
return 0;
