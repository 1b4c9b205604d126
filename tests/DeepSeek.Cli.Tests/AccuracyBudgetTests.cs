using System.Globalization;
using System.Text.Json;
using DeepSeek.Testing;
using Xunit.Abstractions;

namespace DeepSeek.Cli.Tests;

/// <summary>
/// The budget path with a budget a model really misses (issue 12): int4 in symmetric blocks of 128, rounded to nearest
/// (GPTQ would see that the outliers' inputs are always 0 and drop them), on the MNIST MLP with
/// planted outlier weights (OutlierModels: one per block in every eighth hidden unit, on a left-edge pixel that is 0 in every
/// digit, so fp32 computes exactly what the plain MLP does), scored on the 2,000 held-out labelled digits, loses accuracy
/// (2.30 points here, top-1 agreement 96.2 %); a 0.01% budget refuses it with DSB0063 naming the measured loss, and writes
/// nothing. On the plain MLP, int4 with block scales chosen by error no longer loses: it gains 0.05 points.
/// </summary>
public sealed class AccuracyBudgetTests(ITestOutputHelper log)
{
    [Fact]
    public void Symmetric_int4_on_the_mnist_mlp_misses_a_0_01_percent_budget_with_DSB0063_and_writes_no_model()
    {
        using var temp = new TempDirectory();
        var data = MnistDigits.WriteDataFolder(temp.File("digits"), MnistDigits.HeldOut, cnnLayout: false);

        // First measure: the same compression under a budget it meets, with a report.
        var measured = temp.File("measured.onnx");
        var report = temp.File("report.json");
        var (code, _, stderr) = CliRunner.Run("compress", OutlierModels.MnistMlp, "-o", measured, "--profile", "x64-avx2", "--quantize", "int4", "--int4-block", "128", "--int4-symmetric", "--int4-method", "rtn",
            "--calibration", data, "--accuracy-budget", "100%", "--report", report);
        Assert.True(code == 0, stderr);
        double original, compressed, drop;
        using (var json = JsonDocument.Parse(File.ReadAllText(report)))
        {
            var evaluation = json.RootElement.GetProperty("evaluation");
            Assert.Equal(MnistDigits.HeldOutCount, evaluation.GetProperty("rows").GetInt32());
            original = evaluation.GetProperty("originalAccuracy").GetDouble();
            compressed = evaluation.GetProperty("compressedAccuracy").GetDouble();
            drop = evaluation.GetProperty("accuracyDropPoints").GetDouble();
        }

        Assert.True(drop > 0.01, $"int4 lost only {drop} points on the held-out digits: the test needs a recipe that loses accuracy");
        Assert.Equal((original - compressed) * 100, drop, 1e-9);

        // Then the tight budget.
        var output = temp.File("mnist-mlp.int4.onnx");
        (code, var stdout, stderr) = CliRunner.Run("compress", OutlierModels.MnistMlp, "-o", output, "--profile", "x64-avx2", "--quantize", "int4", "--int4-block", "128", "--int4-symmetric", "--int4-method", "rtn",
            "--calibration", data, "--accuracy-budget", "0.01%", "--report", temp.File("missed.json"));

        log.WriteLine(stderr);
        Assert.Equal(1, code);
        Assert.DoesNotContain("evidence:", stdout, StringComparison.Ordinal);
        var expected = string.Create(CultureInfo.InvariantCulture, $"accuracy on classification output 'logits' fell {drop:F2} points ({original:P2} → {compressed:P2}), over the 0.01% budget");
        Assert.Contains("error DSB0063: ", stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(temp.File("missed.json")));
        Assert.Empty(Directory.GetFiles(temp.Path, ".*"));
    }

    [Fact]
    public void Without_a_budget_the_default_refuses_a_model_that_flips_classes_and_none_ships_it_saying_nothing_was_enforced()
    {
        using var temp = new TempDirectory();
        var data = MnistDigits.WriteDataFolder(temp.File("digits"), MnistDigits.HeldOut, cnnLayout: false);
        File.Delete(Path.Combine(data, "labels.npy")); // unlabelled: the classification output is held to top-1 agreement ≥ 99%
        string[] int4 = ["--profile", "x64-avx2", "--quantize", "int4", "--int4-block", "128", "--int4-symmetric", "--int4-method", "rtn", "--calibration", data];

        var output = temp.File("mnist-mlp.int4.onnx");
        var (code, stdout, stderr) = CliRunner.Run(["compress", OutlierModels.MnistMlp, "-o", output, .. int4]);
        log.WriteLine(stderr);
        Assert.Equal(1, code);
        Assert.Contains("error DSB0063: ", stderr, StringComparison.Ordinal);
        Assert.Contains("classification output 'logits': top-1 agreement 0.9", stderr, StringComparison.Ordinal);
        Assert.Contains("under the 0.99 a 1% (default) budget requires", stderr, StringComparison.Ordinal);
        Assert.Contains("no AccuracyBudget was given, so the default 1% applies", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));

        (code, stdout, stderr) = CliRunner.Run(["compress", OutlierModels.MnistMlp, "-o", output, .. int4, "--accuracy-budget", "none"]);
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(output));
        Assert.Contains("  budget: none: nothing was enforced", stdout, StringComparison.Ordinal);
        Assert.Contains("logits (float, classification): cosine mean", stdout, StringComparison.Ordinal);
    }
}
