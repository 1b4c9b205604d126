using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Pruning;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Verification;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Benchmarks;

/// <summary>What one pruned model is, against its unpruned recipe: built by the engine in setup, timed in ONNX Runtime at 1 thread.</summary>
internal static class PrunedModels
{
    public static (ModelSession Session, CompressionReport Report) Build(string input, string folder, string name, string quantize, string? calibration,
        PruneSettings? prune, AccuracyBudget? budget, string profile)
    {
        var output = Path.Combine(folder, name + ".onnx");
        var report = Compressor.Run(new CompressionRequest
        {
            Input = input, Output = output, Profile = ProfileCatalog.BuiltIn.Get(profile), Quantize = quantize, CalibrationFolder = calibration, Prune = prune, Budget = budget,
        });
        var p = report.Pruning;
        Console.WriteLine($"// {name}: {report.SizeRatio:P1} of the size; " + (p is null ? "no pruning" : $"pruning {p.Requested}: shipped {p.ShippedFraction:P1} ({p.ModelFraction:P1} of the weights)")
            + "; " + string.Join(", ", report.Evaluation.Outputs.Select(o => $"{o.Output}: cosine {o.MeanCosine:0.####}" + (o.PooledCosine is { } c ? $", pooled {c:0.####}" : ""))));
        foreach (var line in p?.Tried ?? [])
        {
            Console.WriteLine($"//   missed {line}");
        }

        foreach (var layer in p?.Layers ?? [])
        {
            Console.WriteLine($"//   {layer.Layer} ({layer.Kind}): {layer.Before} → {layer.After}, sensitivity {layer.Sensitivity:0.####}");
        }

        return (ModelSession.Open(output, report.SessionOptions, threads: 1), report);
    }
}

/// <summary>ResNet-18 (photos), 1 thread: INT8 static alone (baseline) against channel pruning + INT8 static: 0.3 within the 1 %
/// budget (what the build ships) and with the budget off (the request as asked), and 0.25 within the budget. Calibrated on views
/// of two photos; each model's features are also compared with the original's on three photos it never saw.</summary>
[Config(typeof(PruningConfig))]
public class ResNetPruningBenchmarks
{
    private readonly Dictionary<string, ModelSession> sessions = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, TensorValue> input = null!;

    [GlobalSetup]
    public void Setup() => input = Models(sessions);

    /// <summary>Builds the three models into <paramref name="sessions"/> (baseline first) and returns one photo's input.</summary>
    internal static IReadOnlyDictionary<string, TensorValue> Models(Dictionary<string, ModelSession> sessions)
    {
        var folder = Directory.CreateTempSubdirectory("deepseek-bench-prune-resnet-").FullName;
        // As the tests: views of two photos to calibrate, three photos never seen to check the features on (the target is
        // cosine ≥ 0.99 on held-out photos).
        var calibration = Photos.Folder("calibration", 16, "chelsea.png", "coffee.png");
        var resnet = Path.Combine(AppContext.BaseDirectory, "Models", "resnet18.onnx");
        var inputs = DeepSeek.Onnx.IO.ModelReader.Read(resnet).Graph.Inputs;
        var heldOut = new[] { "astronaut.png", "hubble_deep_field.jpg", "rocket.jpg" }.ToDictionary(p => p, p => DataSet.Load(Photos.Folder("held-out", 8, p), inputs));
        var prune = PruneSettings.Parse("0.3", "channel-l1", null);
        sessions["static"] = PrunedModels.Build(resnet, folder, "int8-static", "int8-static", calibration, null, AccuracyBudget.Default, "x64-avx2").Session;
        sessions["budget"] = PrunedModels.Build(resnet, folder, "pruned-1pct", "int8-static", calibration, prune, AccuracyBudget.Default, "x64-avx2").Session;
        sessions["none"] = PrunedModels.Build(resnet, folder, "pruned-0.3", "int8-static", calibration, prune, null, "x64-avx2").Session;
        sessions["budget-0.25"] = PrunedModels.Build(resnet, folder, "pruned-0.25-1pct", "int8-static", calibration, PruneSettings.Parse("0.25", "channel-l1", null), AccuracyBudget.Default, "x64-avx2").Session;
        using var original = ModelSession.Open(resnet, null);
        foreach (var (name, session) in sessions)
        {
            Console.WriteLine($"// {name}, held-out photos: " + string.Join(", ", heldOut.Select(h =>
                $"{h.Key} {Evaluator.Compare(original, session, h.Value.Samples.Select(s => s.Inputs).ToList(), null, h.Key, resnet).Outputs[0].MeanCosine:0.####}")));
        }

        return DataSet.Load(calibration, inputs).Samples[0].Inputs;
    }

    [GlobalCleanup]
    public void Cleanup() => sessions.Values.ToList().ForEach(s => s.Dispose());

    [Benchmark(Baseline = true, Description = "int8-static")]
    public object Static() => sessions["static"].Run(input);

    [Benchmark(Description = "channel-l1 0.3 + int8-static, 1 % budget")]
    public object WithinBudget() => sessions["budget"].Run(input);

    [Benchmark(Description = "channel-l1 0.3 + int8-static, budget none")]
    public object AsAsked() => sessions["none"].Run(input);

    [Benchmark(Description = "channel-l1 0.25 + int8-static, 1 % budget")]
    public object QuarterWithinBudget() => sessions["budget-0.25"].Run(input);
}

/// <summary>arctic-embed-xs (32 tokens), 1 thread: INT8 dynamic alone (baseline) against FFN pruning + INT8 dynamic, within the
/// budget (what the build ships) and with the budget off at 0.3.</summary>
[Config(typeof(PruningConfig))]
public class ArcticPruningBenchmarks
{
    private readonly Dictionary<string, ModelSession> sessions = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, TensorValue> input = null!;

    [GlobalSetup]
    public void Setup() => input = Models(sessions);

    /// <summary>Builds the three models into <paramref name="sessions"/> (baseline first) and returns a 32-token input.</summary>
    internal static IReadOnlyDictionary<string, TensorValue> Models(Dictionary<string, ModelSession> sessions)
    {
        var folder = Directory.CreateTempSubdirectory("deepseek-bench-prune-arctic-").FullName;
        var calibration = ArcticXsSentences.Write(Path.Combine(folder, "calibration"), ArcticXsSentences.Calibration);
        var profile = ProfileCatalog.BuiltIn.ForHost().Name;
        var prune = PruneSettings.Parse("0.3", "channel-l2", null);
        sessions["dynamic"] = PrunedModels.Build(ArcticXs.Instance.Model, folder, "int8-dynamic", "int8-dynamic", calibration, null, AccuracyBudget.Default, profile).Session;
        sessions["budget"] = PrunedModels.Build(ArcticXs.Instance.Model, folder, "pruned-1pct", "int8-dynamic", calibration, prune, AccuracyBudget.Default, profile).Session;
        sessions["none"] = PrunedModels.Build(ArcticXs.Instance.Model, folder, "pruned-0.3", "int8-dynamic", calibration, prune, null, profile).Session;
        var tokenizer = ArcticXsSentences.Tokenizer();
        var ids = ArcticXsSentences.Calibration.SelectMany(s => ArcticXsSentences.Ids(tokenizer, s)).Take(32).ToArray();
        return new Dictionary<string, TensorValue>
        {
            ["input_ids"] = TensorValue.Create(ids, 1, 32),
            ["attention_mask"] = TensorValue.Create(Enumerable.Repeat(1L, 32).ToArray(), 1, 32),
            ["token_type_ids"] = TensorValue.Create(new long[32], 1, 32),
        };
    }

    [GlobalCleanup]
    public void Cleanup() => sessions.Values.ToList().ForEach(s => s.Dispose());

    [Benchmark(Baseline = true, Description = "int8-dynamic")]
    public object Dynamic() => sessions["dynamic"].Run(input);

    [Benchmark(Description = "FFN units + heads, channel-l2 0.3 + int8-dynamic, 1 % budget")]
    public object WithinBudget() => sessions["budget"].Run(input);

    [Benchmark(Description = "FFN units + heads, channel-l2 0.3 + int8-dynamic, budget none")]
    public object AsAsked() => sessions["none"].Run(input);
}

/// <summary>The MNIST CNN (tests/data/mnist), 1 thread, one digit: INT8 static (baseline) against the same model made 1:16 by the
/// engine and stored compactly — the question is only whether ONNX Runtime runs the zeros any faster.</summary>
[Config(typeof(PruningConfig))]
public class SparseMnistBenchmarks
{
    private readonly Dictionary<string, ModelSession> sessions = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, TensorValue> input = null!;

    [GlobalSetup]
    public void Setup() => input = Models(sessions);

    /// <summary>Builds the two models into <paramref name="sessions"/> (baseline first) and returns one digit's input.</summary>
    internal static IReadOnlyDictionary<string, TensorValue> Models(Dictionary<string, ModelSession> sessions)
    {
        var folder = Directory.CreateTempSubdirectory("deepseek-bench-sparse-mnist-").FullName;
        var calibration = MnistDigits.WriteDataFolder(Path.Combine(folder, "calibration"), MnistDigits.Training.Take(64), cnnLayout: true);
        sessions["dense"] = PrunedModels.Build(TestAssets.MnistCnn, folder, "int8-static", "int8-static", calibration, null, null, "x64-avx2").Session;
        sessions["sparse"] = PrunedModels.Build(TestAssets.MnistCnn, folder, "sparse-1-16", "int8-static", calibration, PruneSettings.Parse(null, null, "1:16"), null, "x64-avx2").Session;
        return DataSet.Load(calibration, DeepSeek.Onnx.IO.ModelReader.Read(TestAssets.MnistCnn).Graph.Inputs).Samples[0].Inputs;
    }

    [GlobalCleanup]
    public void Cleanup() => sessions.Values.ToList().ForEach(s => s.Dispose());

    [Benchmark(Baseline = true, Description = "int8-static, dense")]
    public object Dense() => sessions["dense"].Run(input);

    [Benchmark(Description = "1:16 + int8-static, compact storage")]
    public object Sparse() => sessions["sparse"].Run(input);
}

internal sealed class PruningConfig : ManualConfig
{
    public PruningConfig() => AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15));
}
