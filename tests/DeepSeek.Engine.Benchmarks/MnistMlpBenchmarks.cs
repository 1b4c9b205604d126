using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Benchmarks;

/// <summary>The project's MNIST MLP (784-128-10) in ONNX Runtime at 1 thread: fp32 (baseline) against INT8 dynamic as `deepseek compress` ships it.</summary>
[Config(typeof(Config))]
public class MnistMlpBenchmarks
{
    private ModelSession fp32 = null!;
    private ModelSession int8 = null!;
    private IReadOnlyDictionary<string, TensorValue> input = null!;

    [Params(1, 64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var folder = Directory.CreateTempSubdirectory("deepseek-bench-mnist-").FullName;
        var calibration = MnistDigits.WriteDataFolder(Path.Combine(folder, "calibration"), MnistDigits.Training.Take(32), cnnLayout: false);
        var output = Path.Combine(folder, "mlp.int8.onnx");
        var report = Compressor.Run(new CompressionRequest
        {
            Input = TestAssets.MnistMlp, Output = output, Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"), Quantize = "int8-dynamic", CalibrationFolder = calibration,
        });
        fp32 = ModelSession.Open(TestAssets.MnistMlp, null, threads: 1);
        int8 = ModelSession.Open(output, report.SessionOptions, threads: 1);
        var digits = MnistDigits.HeldOut.Take(Batch).ToList();
        input = new Dictionary<string, TensorValue> { ["input"] = TensorValue.Create(MnistDigits.Batch(digits), Batch, 784) };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        fp32.Dispose();
        int8.Dispose();
    }

    [Benchmark(Baseline = true, Description = "fp32 (original)")]
    public object Fp32() => fp32.Run(input);

    [Benchmark(Description = "int8 dynamic, as shipped for x64-avx2")]
    public object Int8Dynamic() => int8.Run(input);

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10));
    }
}
