using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Benchmarks;

/// <summary>
/// ResNet-18 inference in ONNX Runtime (CPU, one 1x3x224x224 photo): the original fp32 model as the baseline against the
/// INT8 static model as `deepseek compress` ships it for x64-avx2 (7-bit weights), and against the other saturation-safe
/// form (8-bit weights with the session option session.x64quantprecision=1).
/// </summary>
[Config(typeof(Config))]
public class InferenceBenchmarks
{
    private ModelSession fp32 = null!;
    private ModelSession shipped = null!;
    private ModelSession eightBit = null!;
    private IReadOnlyDictionary<string, TensorValue> input = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var folder = Directory.CreateTempSubdirectory("deepseek-bench-models-").FullName;
        var calibration = Photos.Folder("calibration", 16);
        var profile = ProfileCatalog.BuiltIn.Get("x64-avx2");
        var report = Compressor.Run(new CompressionRequest
        {
            Input = TestAssets.ResNet18, Output = Path.Combine(folder, "shipped.onnx"), Profile = profile, Quantize = "int8-static", CalibrationFolder = calibration,
        });
        Console.WriteLine($"// shipped int8: {report.Passes[^1].Result.Summary}; session options: {string.Join(",", report.SessionOptions.Select(kv => kv.Key + "=" + kv.Value))}");

        // The 8-bit form with the precision session option, built from the same passes.
        var source = ModelReader.Read(TestAssets.ResNet18);
        var model = new OnnxModel(source.Proto.Clone(), source.DisplayPath, source.BaseDirectory);
        var context = new PassContext(model);
        new ConstantInitializersPass().Run(context);
        new OpsetUpgradePass(13).Run(context);
        new FoldBatchNormPass().Run(context);
        var set = DataSet.Load(calibration, source.Graph.Inputs);
        var ranges = Calibrator.Run(model, set.Samples.Select(s => s.Inputs).ToList());
        var precise = profile with { Int8 = profile.Int8 with { WeightBits = 8, SessionOptions = new Dictionary<string, string> { [MixedPrecision.X64QuantPrecision] = "1" } } };
        new StaticInt8QdqPass(precise, ranges.Ranges, null, ranges.ChannelMeans).Run(context);
        var eightBitPath = Path.Combine(folder, "eight-bit.onnx");
        model.Save(eightBitPath);

        fp32 = ModelSession.Open(TestAssets.ResNet18, null, Threads);
        shipped = ModelSession.Open(Path.Combine(folder, "shipped.onnx"), report.SessionOptions, Threads);
        eightBit = ModelSession.Open(eightBitPath, context.RequiredSessionOptions.ToDictionary(), Threads);
        input = set.Samples[0].Inputs;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        fp32.Dispose();
        shipped.Dispose();
        eightBit.Dispose();
    }

    [Benchmark(Baseline = true, Description = "fp32 (original)")]
    public object Fp32() => fp32.Run(input);

    [Benchmark(Description = "int8 static, as shipped for x64-avx2")]
    public object Int8Shipped() => shipped.Run(input);

    [Benchmark(Description = "int8 static, 8-bit weights + x64quantprecision")]
    public object Int8SevenBit() => eightBit.Run(input);

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10));
    }
}
