using System.Globalization;
using System.Text.Json;
using DeepSeek.Testing;
using Xunit.Abstractions;

namespace DeepSeek.Cli.Tests;

/// <summary>
/// The budget path with a budget a model really misses (issue 12): int4 on the MNIST MLP, scored on the 2,000 held-out
/// labelled digits, loses some accuracy; a 0.01% budget refuses it with DSB0063 naming the measured loss, and writes nothing.
/// Symmetric blocks of 128 are used because they measurably lose (0.40 points on x64-avx2 here, top-1 agreement 98.5%):
/// the default asymmetric blocks of 32 happen to gain 0.10 points on these digits, which no budget refuses.
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
        var (code, _, stderr) = CliRunner.Run("compress", TestAssets.MnistMlp, "-o", measured, "--profile", "x64-avx2", "--quantize", "int4", "--int4-block", "128", "--int4-symmetric",
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
        (code, var stdout, stderr) = CliRunner.Run("compress", TestAssets.MnistMlp, "-o", output, "--profile", "x64-avx2", "--quantize", "int4", "--int4-block", "128", "--int4-symmetric",
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
}
