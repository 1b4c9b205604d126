using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Pruning;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Tests.Compression;
using DeepSeek.Engine.Tests.Verifier;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.IO;
using DeepSeek.Testing;
using Xunit.Abstractions;

namespace DeepSeek.Engine.Tests.Pruning;

/// <summary>
/// Structured pruning on real models, every result loaded in ONNX Runtime: ResNet-18 (channels inside each basic block,
/// calibrated on views of chelsea and coffee, checked on views of three photos it never saw) and arctic-embed-xs (FFN units
/// and attention heads, with every recipe, checked on held-out sentences).
/// </summary>
public sealed class ChannelPruningTests(ResNet18CompressionTests.Photos photos, SentenceFolders sentences, ITestOutputHelper output)
    : IClassFixture<ResNet18CompressionTests.Photos>, IClassFixture<SentenceFolders>
{
    [Fact]
    public void ResNet18_channel_pruning_with_int8_static_ships_the_largest_share_the_1_percent_budget_holds()
    {
        // Each consumer refitted on what the kept channels predict of the removed ones (and of what earlier layers' pruning
        // moved), the shares tried from the request down, the first that holds on the calibration views not fitted on ships.
        using var temp = new TempDirectory();
        var path = temp.File("resnet18.pruned.onnx");
        var report = Compressor.Run(new CompressionRequest
        {
            Input = TestAssets.ResNet18,
            Output = path,
            Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"),
            Quantize = "int8-static",
            CalibrationFolder = photos.Calibration,
            Prune = PruneSettings.Parse("0.3", "channel-l1", null),
        });
        Write(report);
        var pruning = report.Pruning!;
        Assert.InRange(pruning.ShippedFraction, 0.15, 0.35); // measured here: 0.295
        Assert.All(pruning.Tried, t => Assert.Contains("pooled cosine", t, StringComparison.Ordinal));
        Assert.Contains(pruning.Layers, l => l.After < l.Before);
        // The inner channels of the 8 basic blocks and the stem's own, and the residual streams of the first three stages (each
        // written by several Convs that must lose the same channels; the last stage's stream is the output).
        Assert.Equal(12, pruning.Layers.Count);
        Assert.Equal(9, pruning.Layers.Count(l => l.Kind == "conv-channels"));
        Assert.Equal([64L, 128, 256], pruning.Layers.Where(l => l.Kind == "tied-channels").Select(l => l.Before));
        Assert.All(pruning.Layers, l => Assert.True(l.After <= l.Before && l.After % 16 == 0 && l.Sensitivity >= 0, $"{l.Layer}: {l.Before} → {l.After}, {l.Sensitivity}"));

        // On photos the calibration never saw, the features move further than on the calibration's own (views of two photos
        // say less about a third than the budget check can know): the closing figures of issue 15 and docs/benchmarks.md.
        var heldOut = HeldOut(path, report.SessionOptions);
        Assert.All(heldOut.Values, cosine => Assert.InRange(cosine, 0.97, 1)); // measured here: 0.9875, 0.9928, 0.9987
        // [1, 512, 1, 1] features are one vector per row (the pooled cosine of 512 width-1 "positions" was 1 whatever they held)
        Assert.Equal(report.Evaluation.Outputs[0].MeanCosine, report.Evaluation.Outputs[0].PooledCosine!.Value, 9);
        Assert.Equal("int8-static", report.Recipe);
    }

    [Fact]
    public void ResNet18_channel_pruning_opted_out_of_the_budget_ships_the_request_shared_by_sensitivity()
    {
        // AccuracyBudget="none": the full 30 % ships, measured and reported. Each layer's share follows its sensitivity: the
        // least sensitive layer loses more than the most sensitive one, and no layer more than 90 %.
        using var temp = new TempDirectory();
        var path = temp.File("resnet18.pruned.onnx");
        var report = Compressor.Run(new CompressionRequest
        {
            Input = TestAssets.ResNet18,
            Output = path,
            Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"),
            Quantize = "none",
            CalibrationFolder = photos.Calibration,
            Budget = null,
            Prune = PruneSettings.Parse("0.3", "channel-l2", null),
        });
        Write(report);
        var pruning = report.Pruning!;
        output.WriteLine($"shipped {pruning.ShippedFraction:P1} of the prunable weights");
        // The request, to within the rounding of each layer's kept channels to a multiple of 16.
        Assert.InRange(pruning.ShippedFraction, 0.25, 0.35);
        Assert.Empty(pruning.Tried);
        Assert.All(pruning.Layers, l => Assert.InRange(l.Removed, 0, PruningStage.MaxLayerShare + 0.01));
        Assert.All(pruning.Layers, l => Assert.Equal(0, l.After % 16));
        var most = pruning.Layers.MaxBy(l => l.Sensitivity)!;
        var least = pruning.Layers.MinBy(l => l.Sensitivity)!;
        Assert.True(least.Removed > most.Removed, $"{least.Layer} ({least.Sensitivity}) lost {least.Removed:P0}, {most.Layer} ({most.Sensitivity}) {most.Removed:P0}");
        Assert.True(report.OutputBytes < report.InputBytes * (1 - (pruning.ModelFraction * 0.9)), $"{report.OutputBytes} of {report.InputBytes}");

        // ONNX Runtime runs the smaller model; on photos it never saw, the features move as far as the report said they would.
        var heldOut = HeldOut(path, report.SessionOptions);
        Assert.All(heldOut.Values, cosine => Assert.InRange(cosine, 0.98, 1)); // measured here: 0.9919, 0.9956, 0.9996
    }

    [Fact]
    public void ArcticXs_pruning_with_int8_dynamic_removes_ffn_units_of_every_layer_and_attention_heads_within_the_budget()
    {
        using var temp = new TempDirectory();
        var path = temp.File("arctic.pruned.onnx");
        var report = Compressor.Run(new CompressionRequest
        {
            Input = ArcticXs.Instance.Model,
            Output = path,
            Profile = ProfileCatalog.BuiltIn.ForHost(),
            Quantize = "int8-dynamic",
            CalibrationFolder = sentences.Calibration,
            Prune = PruneSettings.Parse("0.3", "channel-l2", null),
        });
        Write(report);
        var pruning = report.Pruning!;
        Assert.Equal(12, pruning.Layers.Count);
        var ffn = pruning.Layers.Where(l => l.Kind == "ffn-units").ToList();
        var heads = pruning.Layers.Where(l => l.Kind == "attention-heads").ToList();
        Assert.Equal(6, ffn.Count);
        Assert.Equal(6, heads.Count);
        Assert.All(ffn, l => Assert.True(l.Before == 1536 && l.After < l.Before, $"{l.Layer}: {l.After}"));
        Assert.All(heads, l => Assert.True(l.Before == 12 && l.After <= l.Before && l.Sensitivity > 0, $"{l.Layer}: {l.After}, {l.Sensitivity}"));
        Assert.Contains(heads, l => l.After < l.Before); // measured here: 12 → 11 heads in layers 0–3
        Assert.InRange(pruning.ShippedFraction, 0.05, 0.3);
        Assert.True(report.SizeRatio < 0.255, $"{report.SizeRatio:P1}"); // int8-dynamic alone: 25.9 %

        var m = HeldOutSentences(path, report.SessionOptions);
        Assert.True(m.PooledCosine >= 0.985, $"held-out pooled cosine {m.PooledCosine}");
    }

    [Theory]
    [InlineData("int4")]
    [InlineData("fp16")]
    [InlineData("none")] // int8-static refuses this model here whatever the pruning: slower than int8-dynamic (DSB0082)
    public void ArcticXs_pruned_heads_and_units_go_through_every_recipe_and_the_shipped_model_holds_the_budget_on_held_out_sentences(string quantize)
    {
        using var temp = new TempDirectory();
        var path = temp.File($"arctic.{quantize}.pruned.onnx");
        var report = Compressor.Run(new CompressionRequest
        {
            Input = ArcticXs.Instance.Model,
            Output = path,
            Profile = ProfileCatalog.BuiltIn.ForHost(),
            Quantize = quantize,
            CalibrationFolder = sentences.Calibration,
            Prune = PruneSettings.Parse("0.3", "channel-l2", null),
        });
        Write(report);
        var pruning = report.Pruning!;
        Assert.True(pruning.ShippedFraction > 0, string.Join(" | ", pruning.Tried));
        Assert.All(report.BudgetChecks, c => Assert.True(c.Met, $"{c.Output} {c.Metric} {c.Value} against {c.Threshold}"));

        var m = HeldOutSentences(path, report.SessionOptions);
        Assert.True(m.PooledCosine >= 0.98, $"held-out pooled cosine {m.PooledCosine}");
    }

    /// <summary>The shipped model against the original on the held-out sentences, in ONNX Runtime.</summary>
    private OutputMetrics HeldOutSentences(string path, IReadOnlyDictionary<string, string> sessionOptions)
    {
        using var original = ModelSession.Open(ArcticXs.Instance.Model, null);
        using var pruned = ModelSession.Open(path, sessionOptions);
        var model = ModelReader.Read(ArcticXs.Instance.Model);
        var set = DataSet.Load(sentences.HeldOut, model.Graph.Inputs);
        var kinds = OutputKindInference.Resolve(model, null, new Dictionary<string, string>());
        var m = Evaluator.Compare(original, pruned, set.Samples.Select(s => s.Inputs).ToList(), null, sentences.HeldOut, path, null, null, kinds).Outputs[0];
        output.WriteLine($"  held out: pooled cosine {m.PooledCosine:F5} min {m.MinPooledCosine:F5}, neighbours {m.NeighbourAgreement}");
        return m;
    }

    private void Write(CompressionReport report)
    {
        output.WriteLine($"{report.Recipe}: {report.InputBytes:N0} → {report.OutputBytes:N0} ({report.SizeRatio:P1}); attempts: {string.Join(" | ", report.Attempts)}");
        var p = report.Pruning!;
        output.WriteLine($"pruning {p.Requested}: shipped {p.ShippedFraction:P1}, model {p.ModelFraction:P1}; tried: {string.Join(" | ", p.Tried)}");
        foreach (var l in p.Layers)
        {
            output.WriteLine($"  {l.Layer} {l.Kind} {l.Before} → {l.After} sensitivity {l.Sensitivity:0.#####}");
        }

        foreach (var o in report.Evaluation.Outputs)
        {
            output.WriteLine($"  {o.Output}: cosine {o.MeanCosine:0.#####} pooled {o.PooledCosine}");
        }
    }

    private Dictionary<string, double> HeldOut(string path, IReadOnlyDictionary<string, string> options)
    {
        using var original = ModelSession.Open(TestAssets.ResNet18, null);
        using var pruned = ModelSession.Open(path, options);
        var inputs = ModelReader.Read(TestAssets.ResNet18).Graph.Inputs;
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (photo, folder) in photos.HeldOut)
        {
            var set = DataSet.Load(folder, inputs);
            var m = Evaluator.Compare(original, pruned, set.Samples.Select(s => s.Inputs).ToList(), null, folder, path).Outputs[0];
            output.WriteLine($"  held out {photo}: cosine {m.MeanCosine:F5} min {m.MinCosine:F5}");
            figures[photo] = m.MeanCosine;
        }

        return figures;
    }
}
