using BenchmarkDotNet.Running;
using DeepSeek.Torch.Benchmarks;

if (args.Contains("--sparse-mnist"))
{
    return SparseGradientTraining.Run(epochs: 3);
}

BenchmarkSwitcher.FromAssembly(typeof(OptimizerBenchmarks).Assembly).Run(args);
return 0;
