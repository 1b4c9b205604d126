using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using DeepSeek.Torch.Optim;
using TorchMnist;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Benchmarks;

/// <summary>
/// One optimizer step on the MNIST CNN of samples/TorchMnist (105,962 parameters, gradients fixed): DeepSeekOptimizer
/// against torch.optim.AdamW (baseline), dense and with sparse gradients, same run, 1 libtorch thread.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class OptimizerBenchmarks : IDisposable
{
    private TorchSharp.Modules.Sequential model = null!;
    private optim.Optimizer adamw = null!;
    private DeepSeekOptimizer dense = null!;
    private DeepSeekOptimizer sparse = null!;

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        manual_seed(1);
        model = MnistPipeline.Cnn();
        foreach (var parameter in model.parameters())
        {
            parameter.grad = randn_like(parameter) * 1e-3;
        }

        adamw = optim.AdamW(model.parameters(), lr: 1e-6, weight_decay: 0.01);
        dense = new DeepSeekOptimizer(model.parameters(), lr: 1e-6, weightDecay: 0.01);
        sparse = new DeepSeekOptimizer(model.parameters(), lr: 1e-6, weightDecay: 0.01, sparseGrad: true);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        dense.Dispose();
        sparse.Dispose();
        adamw.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, Description = "torch.optim.AdamW")]
    public void AdamW() => adamw.step();

    [Benchmark(Description = "DeepSeekOptimizer")]
    public void Dense() => dense.step();

    [Benchmark(Description = "DeepSeekOptimizer, sparseGrad (1%)")]
    public void Sparse() => sparse.step();

    private sealed class Config : ManualConfig
    {
        // In process: a generated benchmark project would not carry LibTorch's native files (nor the libstdc++ patch).
        public Config() => AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithToolchain(InProcessEmitToolchain.Instance));
    }
}
